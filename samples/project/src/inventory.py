"""Stock keeping for a small shop: the assistant was asked for typed, documented code."""

from dataclasses import dataclass


@dataclass
class Item:
    """One line of stock."""

    name: str
    quantity: int


def restock(items: list[Item], name: str, amount: int) -> None:
    """Add `amount` units of `name`, creating the item if needed."""
    for item in items:
        if item.name == name:
            item.quantity += amount
            return
    items.append(Item(name, amount))


def removeItem(items, name):
    try:
        items.remove(next(i for i in items if i.name == name))
    except Exception:
        pass

"""Small stack helpers."""


class Stack:
    def __init__(self):
        self.items = []

    def push(self, item):
        self.items.append(item)

    def peek_or(self, default=None):
        if not self.items:
            return default
        return self.items[-1]


def clamp(value, low, high):
    return max(low, min(high, value))

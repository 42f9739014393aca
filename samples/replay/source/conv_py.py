"""Python conversations of the sample: py-orders, py-ratelimit, py-csv-report."""

# ---------------------------------------------------------------------------------------------
# py-orders
ORDERS_V0 = '''"""Order totals for the shop checkout."""

TAX_RATE = 0.2
FREE_SHIPPING_FROM = 50.0
SHIPPING_FEE = 4.99


def line_total(line):
    return line["price"] * line["quantity"]


def subtotal(lines):
    total = 0.0
    for line in lines:
        total += line_total(line)
    return total


def shipping(amount):
    if amount >= FREE_SHIPPING_FROM:
        return 0.0
    return SHIPPING_FEE


def order_total(lines):
    amount = subtotal(lines)
    return round(amount * (1 + TAX_RATE) + shipping(amount), 2)
'''

ORDERS_T0 = ORDERS_V0.replace('''def order_total(lines):
    amount''', '''def order_total(lines):
    if not lines:
        return 0.0
    amount''')

ORDERS_T1 = (ORDERS_T0
             .replace("def line_total(line):", "def line_total(line: dict[str, float]) -> float:")
             .replace("def subtotal(lines):", "def subtotal(lines: list[dict[str, float]]) -> float:")
             .replace("def shipping(amount):", "def shipping(amount: float) -> float:")
             .replace("def order_total(lines):", "def order_total(lines: list[dict[str, float]]) -> float:"))

ORDERS_T2 = (ORDERS_T1
             .replace("-> float:\n    return line[", '-> float:\n    """Price times quantity of one order line."""\n    return line[')
             .replace("-> float:\n    total = 0.0", '-> float:\n    """The sum of all line totals, before tax and shipping."""\n    total = 0.0')
             .replace("def shipping(amount: float) -> float:\n", 'def shipping(amount: float) -> float:\n    """The shipping fee for a subtotal: free from FREE_SHIPPING_FROM on."""\n')
             .replace("-> float:\n    if not lines:", '-> float:\n    """What the customer pays: subtotal plus tax plus shipping."""\n    if not lines:'))

ORDERS_T3 = ORDERS_T2.replace('''    total = 0.0
    for line in lines:
        total += line_total(line)
    return total
''', '''    return sum(line_total(line) for line in lines)
''')

ORDERS_T4 = ORDERS_T3.replace('''def order_total(lines: list[dict[str, float]]) -> float:
    """What the customer pays: subtotal plus tax plus shipping."""
    if not lines:
        return 0.0
    amount = subtotal(lines)
''', '''def order_total(lines: list[dict[str, float]], coupon=None) -> float:
    """What the customer pays: subtotal (less any coupon), tax, shipping."""
    if not lines:
        return 0.0
    amount = subtotal(lines)
    if coupon == "SAVE10":
        amount *= 0.9
''')

ORDERS_T4F = ORDERS_T4.replace("coupon=None) -> float:", "coupon: str | None = None) -> float:")

PY_ORDERS = {
    "id": "py-orders",
    "language": "python",
    "category": "feature",
    "path": "orders.py",
    "prompt": "Here is orders.py from our shop's checkout. An empty cart is currently charged the 4.99 "
              "shipping fee: an order with no lines must cost 0.0. Please fix that.",
    "initial": ORDERS_V0,
    "reference": ORDERS_T4F,
    "tests": [
        {"name": "empty order costs nothing", "code": "assert order_total([]) == 0.0"},
        {"name": "tax and shipping", "code": "assert order_total([{\"price\": 10.0, \"quantity\": 2}]) == 28.99\n"
                                             "assert order_total([{\"price\": 30.0, \"quantity\": 2}]) == 72.0"},
    ],
    "turns": [
        {"instruction": "Add type hints to every function, parameters and return values. An order line is a "
                        "dict like {\"price\": 12.5, \"quantity\": 2}, so dict[str, float] is fine.",
         "constraints": [{"type": "types.annotation_coverage", "min_ratio": 1.0}],
         "category": "types"},
        {"instruction": "Give every function a one-line docstring.",
         "constraints": [{"type": "docs.required", "targets": "functions"}],
         "category": "docs"},
        {"instruction": "subtotal doesn't need a loop and an accumulator: make it a single sum() over the lines, "
                        "no for loop.",
         "constraints": [{"type": "structure.forbidden_loop", "loop_type": "for"}],
         "scope": {"symbol": "subtotal"},
         "category": "structure"},
        {"instruction": "order_total should take an optional coupon code: \"SAVE10\" takes 10% off the subtotal "
                        "before tax and shipping are worked out; other codes change nothing. Keep the cyclomatic "
                        "complexity of every function at 3 or below.",
         "constraints": [{"type": "complexity.cyclomatic", "max": 3}],
         "tests": [{"name": "SAVE10 coupon",
                    "code": "assert order_total([{\"price\": 100.0, \"quantity\": 1}], \"SAVE10\") == 108.0\n"
                            "assert order_total([{\"price\": 50.0, \"quantity\": 1}], \"SAVE10\") == 58.99\n"
                            "assert order_total([{\"price\": 100.0, \"quantity\": 1}], \"BOGUS\") == 120.0"}],
         "scope": {"symbol": "order_total"},
         "category": "complexity"},
    ],
    "rounds": [
        (0, 0, "whole:backtick", "Good catch: with no lines the subtotal is 0, which is below the free-shipping "
                                 "threshold, so the fee was added. I return 0.0 early for an empty order.", ORDERS_T0),
        (1, 0, "whole:info", "Here is orders.py with type hints on every parameter and return value.", ORDERS_T1),
        (2, 0, "sr", "I added a one-line docstring to each of the four functions:", ORDERS_T2),
        (3, 0, "diff", "subtotal is now a single `sum()` over a generator expression:", ORDERS_T3),
        (4, 0, "whole:name", "I added the `coupon` parameter to order_total. The discount is applied to the "
                             "subtotal before tax and shipping, so a discounted order can drop below the "
                             "free-shipping threshold. order_total's complexity is 3.", ORDERS_T4),
        (4, 1, "sr", "You're right, the new `coupon` parameter had no type hint. Fixed:", ORDERS_T4F),
    ],
    "story": "Mostly good. Turns 1-3 are satisfied with clean, in-scope edits (whole file, SEARCH/REPLACE "
             "blocks, a unified diff). At turn 4 the assistant adds the `coupon` parameter without a type "
             "hint, so turn 1's annotation rule fails again (forgetting); the feedback round fixes it.",
    "expect": {"forgets": [[4, 1]]},
}

# ---------------------------------------------------------------------------------------------
# py-ratelimit: clean
RATE_V0 = '''import time


class RateLimiter:
    def __init__(self, rate, capacity, clock=time.monotonic):
        self.rate = rate
        self.capacity = capacity
        self.clock = clock
        self.tokens = capacity
        self.updated = clock()

    def refill(self):
        now = self.clock()
        # tokens accrue continuously at `rate` per second, up to `capacity`
        self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
        self.updated = now

    def allow(self, cost=1):
        self.refill()
        if self.tokens >= cost:
            self.tokens -= cost
            return True
        # not enough tokens: the caller should back off
        return False
'''

RATE_T0 = RATE_V0 + '''
    def wait_time(self, cost=1):
        self.refill()
        if self.tokens >= cost:
            return 0.0
        else:
            return (cost - self.tokens) / self.rate
'''

RATE_T1 = (RATE_T0
           .replace('''clock=time.monotonic):
        self.rate''', '''clock=time.monotonic):
        if rate <= 0 or capacity <= 0:
            raise ValueError(f"rate and capacity must be positive, got {rate} and {capacity}")
        self.rate''')
           .replace('''    def allow(self, cost=1):
        self.refill()''', '''    def _check_cost(self, cost):
        if cost <= 0 or cost > self.capacity:
            raise ValueError(f"cost must be positive and at most {self.capacity}, got {cost}")

    def allow(self, cost=1):
        self._check_cost(cost)
        self.refill()''')
           .replace('''    def wait_time(self, cost=1):
        self.refill()''', '''    def wait_time(self, cost=1):
        self._check_cost(cost)
        self.refill()'''))

RATE_T2 = (RATE_T1
           .replace("class RateLimiter:\n", 'class RateLimiter:\n    """A token bucket: `capacity` tokens, refilled at `rate` tokens per second."""\n\n')
           .replace("clock=time.monotonic):\n", 'clock=time.monotonic):\n        """Start with a full bucket; `clock` returns seconds (injectable for tests)."""\n')
           .replace("def refill(self):\n", 'def refill(self):\n        """Add the tokens earned since the last update."""\n')
           .replace("def _check_cost(self, cost):\n", 'def _check_cost(self, cost):\n        """Reject a cost the bucket could never pay."""\n')
           .replace("def allow(self, cost=1):\n", 'def allow(self, cost=1):\n        """Take `cost` tokens if there are enough; say whether the call may go ahead."""\n')
           .replace("def wait_time(self, cost=1):\n", 'def wait_time(self, cost=1):\n        """Seconds until `allow(cost)` would succeed (0.0 if it would now)."""\n'))

RATE_T3 = RATE_T2.replace('''            return 0.0
        else:
            return (cost - self.tokens) / self.rate
''', '''            return 0.0
        return (cost - self.tokens) / self.rate
''')

RATE_T4 = (RATE_T3
           .replace("        # tokens accrue continuously at `rate` per second, up to `capacity`\n", "")
           .replace("        # not enough tokens: the caller should back off\n", ""))

RATE_BASE_TEST = '''class FakeClock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


clock = FakeClock()
limiter = RateLimiter(2.0, 4, clock)
assert all(limiter.allow() for _ in range(4))
assert not limiter.allow()
assert limiter.wait_time() == 0.5
clock.now = 0.5
assert limiter.wait_time() == 0.0
assert limiter.allow()'''

RATE_T1_TEST = '''def raises_value_error(action):
    try:
        action()
    except ValueError:
        return True
    return False


assert raises_value_error(lambda: RateLimiter(0, 5))
assert raises_value_error(lambda: RateLimiter(1.0, -1))
limiter = RateLimiter(1.0, 3)
assert raises_value_error(lambda: limiter.allow(4))
assert raises_value_error(lambda: limiter.wait_time(0))
assert limiter.allow(3)'''

PY_RATELIMIT = {
    "id": "py-ratelimit",
    "language": "python",
    "category": "feature",
    "path": "ratelimit.py",
    "prompt": "This is ratelimit.py, the token-bucket rate limiter in front of our search API. Add a "
              "`wait_time(cost=1)` method that returns how many seconds the caller has to wait before "
              "`allow(cost)` would succeed (0.0 if it would succeed now).",
    "initial": RATE_V0,
    "reference": RATE_T4,
    "tests": [{"name": "bucket and wait_time", "code": RATE_BASE_TEST}],
    "turns": [
        {"instruction": "Validate the inputs. The constructor must raise ValueError when rate or capacity is not "
                        "positive, and allow() and wait_time() must raise ValueError for a cost that is not "
                        "positive or is larger than the capacity (it could never succeed). Put the cost check in "
                        "one `_check_cost(cost)` method instead of repeating it.",
         "constraints": [{"type": "symbol.function_defined", "name": "_check_cost", "parameters": 1}],
         "tests": [{"name": "bad arguments raise ValueError", "code": RATE_T1_TEST}],
         "scope": {"symbol": "RateLimiter"},
         "category": "errors"},
        {"instruction": "Document the class and every method with a docstring.",
         "constraints": [{"type": "docs.required"}],
         "category": "docs"},
        {"instruction": "No `else` after a `return`, please: early returns keep it flat.",
         "constraints": [{"type": "structure.no_else_after_return"}],
         "category": "structure"},
        {"instruction": "Now drop the `#` comments; the docstrings say enough.",
         "constraints": [{"type": "comments.none", "docstrings": False}],
         "category": "comments"},
    ],
    "rounds": [
        (0, 0, "whole:name", "Here's `wait_time`. It refills first, so the answer accounts for the time "
                             "since the last call.", RATE_T0),
        (1, 0, "whole:info", "I added the checks: the constructor validates rate and capacity, and a "
                             "`_check_cost` helper is shared by allow() and wait_time().", RATE_T1),
        (2, 0, "sr", "Docstrings for the class and each method:", RATE_T2),
        (3, 0, "diff", "wait_time now returns early:", RATE_T3),
        (4, 0, "sr", "Removed both comments:", RATE_T4),
    ],
    "story": "Clean: every instruction is followed at its turn, nothing earlier breaks, and every edit stays "
             "inside the code the instruction is about.",
    "expect": {},
}

# ---------------------------------------------------------------------------------------------
# py-csv-report: starts from an empty file
CSV_T0 = '''import csv
import io


def read_rows(text):
    reader = csv.DictReader(io.StringIO(text))
    rowList = []
    for r in reader:
        r["amount"] = float(r["amount"])
        rowList.append(r)
    return rowList


def region_totals(rows):
    d = {}
    for r in rows:
        d[r["region"]] = d.get(r["region"], 0.0) + r["amount"]
    return d


def format_report(totals):
    outLines = []
    for region in sorted(totals):
        outLines.append(f"{region}: {totals[region]:.2f}")
    return "\\n".join(outLines)
'''

CSV_T1 = (CSV_T0
          .replace('''    rowList = []
    for r in reader:
        r["amount"] = float(r["amount"])
        rowList.append(r)
    return rowList''', '''    rows = []
    for row in reader:
        row["amount"] = float(row["amount"])
        rows.append(row)
    return rows''')
          .replace('''    d = {}
    for r in rows:
        d[r["region"]] = d.get(r["region"], 0.0) + r["amount"]
    return d''', '''    totals = {}
    for row in rows:
        totals[row["region"]] = totals.get(row["region"], 0.0) + row["amount"]
    return totals''')
          .replace('''    outLines = []
    for region in sorted(totals):
        outLines.append(f"{region}: {totals[region]:.2f}")
    return "\\n".join(outLines)''', '''    report_lines = []
    for region in sorted(totals):
        report_lines.append(f"{region}: {totals[region]:.2f}")
    return "\\n".join(report_lines)'''))

CSV_T2 = (CSV_T1
          .replace('''    for row in reader:
        row["amount"] = float(row["amount"])
        rows.append(row)''', '''    for row in reader:
        try:
            row["amount"] = float(row["amount"])
        except ValueError:
            raise ValueError(f"line {reader.line_num}: bad amount {row['amount']!r}") from None
        rows.append(row)''')
          .replace('''    report_lines = []
    for region in sorted(totals):
        report_lines.append(f"{region}: {totals[region]:.2f}")
    return "\\n".join(report_lines)''', '''    return "\\n".join(f"{region}: {amount:.2f}" for region, amount in sorted(totals.items()))'''))

CSV_T3 = (CSV_T2
          .replace('''def read_rows(text):
    reader = csv.DictReader(io.StringIO(text))
    rows = []
    for row in reader:
        try:
            row["amount"] = float(row["amount"])
        except ValueError:
            raise ValueError(f"line {reader.line_num}: bad amount {row['amount']!r}") from None''',
                    '''def read_rows(text):
    """Parse CSV text with a name,region,amount header; amounts become floats."""
    reader = csv.DictReader(io.StringIO(text))
    rows = []
    for row in reader:
        lineNo = reader.line_num
        try:
            row["amount"] = float(row["amount"])
        except ValueError:
            raise ValueError(f"line {lineNo}: bad amount {row['amount']!r}") from None''')
          .replace("def region_totals(rows):\n", 'def region_totals(rows):\n    """Total amount per region."""\n')
          .replace("def format_report(totals):\n", 'def format_report(totals):\n    """One `region: total` line per region, sorted by region."""\n'))

CSV_T3F = CSV_T3.replace("lineNo", "line_number")

CSV_BASE_TEST = '''SAMPLE = "name,region,amount\\nann,north,100.5\\nbob,south,20\\ncid,north,1150\\n"
rows = read_rows(SAMPLE)
assert rows[0] == {"name": "ann", "region": "north", "amount": 100.5}, rows[0]
totals = region_totals(rows)
assert totals == {"north": 1250.5, "south": 20.0}, totals
assert format_report(totals) == "north: 1250.50\\nsouth: 20.00"'''

CSV_T2_TEST = '''rows = read_rows("name,region,amount\\nann,north,1\\n\\nbob,south,2\\n")
assert [row["name"] for row in rows] == ["ann", "bob"], rows
try:
    read_rows("name,region,amount\\nann,north,1\\nbob,south,abc\\n")
except ValueError as error:
    assert "line 3" in str(error), error
else:
    raise AssertionError("a bad amount was accepted")'''

PY_CSV_REPORT = {
    "id": "py-csv-report",
    "language": "python",
    "category": "new code",
    "path": "report.py",
    "prompt": "Write report.py for our sales export, with three functions: `read_rows(text)` parses CSV text "
              "whose header is `name,region,amount` into a list of dicts, with `amount` converted to float; "
              "`region_totals(rows)` adds the amounts up per region; `format_report(totals)` returns one line "
              "per region, sorted by region, like `north: 1250.50`, joined with newlines.",
    "initial": "",
    "reference": CSV_T3F,
    "tests": [{"name": "parse, total and format", "code": CSV_BASE_TEST}],
    "turns": [
        {"instruction": "Follow PEP 8 naming: snake_case for variables, and no one-letter or vague names like "
                        "`r` or `d`.",
         "constraints": [{"type": "naming.case", "role": "variable", "case": "snake_case"},
                         {"type": "naming.descriptive", "role": "variable"}],
         "category": "naming"},
        {"instruction": "read_rows must fail clearly on bad input: when an amount is not a number, raise a "
                        "ValueError that says which line it is on (like \"line 3: bad amount 'abc'\"). Blank lines "
                        "are fine and must be skipped. Don't catch broad exceptions.",
         "constraints": [{"type": "errors.handling_required"}, {"type": "errors.no_catch_all"}],
         "tests": [{"name": "blank lines and bad amounts", "code": CSV_T2_TEST}],
         "scope": {"symbol": "read_rows"},
         "category": "errors"},
        {"instruction": "Add a docstring to each of the three functions.",
         "constraints": [{"type": "docs.required", "targets": "functions"}],
         "category": "docs"},
    ],
    "rounds": [
        (0, 0, "whole:info", "Here is report.py. It uses the csv module's DictReader, so quoting is handled "
                             "for free.", CSV_T0),
        (1, 0, "whole:backtick", "Renamed the variables: `rows`, `row`, `totals`, `report_lines`.", CSV_T1),
        (2, 0, "whole:name", "read_rows now reports the line of a bad amount (DictReader already skips blank "
                             "lines and keeps `line_num`). I also simplified format_report to a single "
                             "join while I was at it.", CSV_T2),
        (3, 0, "whole:backtick", "Docstrings added to all three functions:", CSV_T3),
        (3, 1, "sr", "Sorry, `lineNo` slipped back in; renamed to snake_case:", CSV_T3F),
    ],
    "story": "Starts from an empty file. At turn 2, scoped to read_rows, the assistant also rewrites "
             "format_report (an out-of-scope edit; harmless, the tests still pass). At turn 3, adding "
             "docstrings, it introduces a camelCase variable `lineNo` in read_rows, breaking turn 1's "
             "snake_case rule (forgetting); the feedback round renames it.",
    "expect": {"forgets": [[3, 1]], "out_of_scope": [[2, 0]]},
}

CONVERSATIONS = [PY_ORDERS, PY_RATELIMIT, PY_CSV_REPORT]

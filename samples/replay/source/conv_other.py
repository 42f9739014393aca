"""TypeScript, Go, Java and JavaScript conversations of the sample."""

# ---------------------------------------------------------------------------------------------
# ts-config: an edit-format error, then forgetting
TS_V0 = r'''export interface ServerConfig {
  host: string;
  port: number;
  timeoutMs: number;
}

const DEFAULTS: ServerConfig = { host: "localhost", port: 8080, timeoutMs: 5000 };

export function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new Error(`invalid port: ${value}`);
  }
  return port;
}

export function parseDuration(value: string): number {
  const match = /^(\d+)(ms|s|m)$/.exec(value.trim());
  if (match === null) {
    throw new Error(`invalid duration: ${value}`);
  }
  const amount = Number(match[1]);
  if (match[2] === "m") {
    return amount * 60000;
  }
  if (match[2] === "s") {
    return amount * 1000;
  }
  return amount;
}

export function parseConfig(env: Record<string, string | undefined>): ServerConfig {
  const config = { ...DEFAULTS };
  if (env.HOST) config.host = env.HOST;
  if (env.PORT) config.port = parsePort(env.PORT);
  if (env.TIMEOUT) config.timeoutMs = parseDuration(env.TIMEOUT);
  return config;
}
'''

TS_T0 = (TS_V0
         .replace('''export interface ServerConfig {''', '''export type LogLevel = "debug" | "info" | "warn" | "error";

const LOG_LEVELS: LogLevel[] = ["debug", "info", "warn", "error"];

export interface ServerConfig {''')
         .replace('''  timeoutMs: number;
}''', '''  timeoutMs: number;
  logLevel: LogLevel;
}''')
         .replace('''const DEFAULTS: ServerConfig = { host: "localhost", port: 8080, timeoutMs: 5000 };''',
                  '''const DEFAULTS: ServerConfig = {
  host: "localhost",
  port: 8080,
  timeoutMs: 5000,
  logLevel: "info",
};''')
         .replace('''export function parseConfig(''', '''export function parseLogLevel(value: string): LogLevel {
  const level = LOG_LEVELS.find((candidate) => candidate === value.toLowerCase());
  if (level === undefined) {
    throw new Error(`invalid log level: ${value}`);
  }
  return level;
}

export function parseConfig(''')
         .replace('''  if (env.TIMEOUT) config.timeoutMs = parseDuration(env.TIMEOUT);
''', '''  if (env.TIMEOUT) config.timeoutMs = parseDuration(env.TIMEOUT);
  if (env.LOG_LEVEL) config.logLevel = parseLogLevel(env.LOG_LEVEL);
'''))

TS_T1 = (TS_T0
         .replace("export function parsePort(", "/** Parses a TCP port number (1-65535); throws on anything else. */\nexport function parsePort(")
         .replace("export function parseDuration(", "/** Parses a duration such as `250ms`, `30s` or `5m` into milliseconds. */\nexport function parseDuration(")
         .replace("export function parseLogLevel(", "/** Parses a log level name, case-insensitively. */\nexport function parseLogLevel(")
         .replace("export function parseConfig(", "/** Builds the server configuration from environment variables, over the defaults. */\nexport function parseConfig("))

TS_T2_BAD = r'''Here's parseDuration with a lookup table of unit multipliers, so it has a single return:

config.ts
```ts
<<<<<<< SEARCH
  const amount = Number(match[1]);
  switch (match[2]) {
    case "m":
      return amount * 60000;
    case "s":
      return amount * 1000;
    default:
      return amount;
  }
=======
  const unitMs: Record<string, number> = { ms: 1, s: 1000, m: 60000 };
  return Number(match[1]) * unitMs[match[2]];
>>>>>>> REPLACE
```
'''

TS_T2 = TS_T1.replace('''  const amount = Number(match[1]);
  if (match[2] === "m") {
    return amount * 60000;
  }
  if (match[2] === "s") {
    return amount * 1000;
  }
  return amount;
''', '''  const unitMs: Record<string, number> = { ms: 1, s: 1000, m: 60000 };
  return Number(match[1]) * unitMs[match[2]];
''')

TS_T3 = (TS_T2
         .replace('''  logLevel: LogLevel;
}''', '''  logLevel: LogLevel;
  maxConnections: number;
}''')
         .replace('''  logLevel: "info",
};''', '''  logLevel: "info",
  maxConnections: 100,
};''')
         .replace('''/** Builds the server configuration''', '''// MAX_CONNECTIONS must be a positive integer
function parseMaxConnections(value: string): number {
  const count = Number(value);
  if (!Number.isInteger(count) || count < 1) {
    throw new Error(`invalid MAX_CONNECTIONS: ${value}`);
  }
  return count;
}

/** Builds the server configuration''')
         .replace('''  if (env.LOG_LEVEL) config.logLevel = parseLogLevel(env.LOG_LEVEL);
''', '''  if (env.LOG_LEVEL) config.logLevel = parseLogLevel(env.LOG_LEVEL);
  if (env.MAX_CONNECTIONS) config.maxConnections = parseMaxConnections(env.MAX_CONNECTIONS);
'''))

TS_T3F = TS_T3.replace("// MAX_CONNECTIONS must be a positive integer\n",
                       "/** Parses MAX_CONNECTIONS, which must be a positive integer. */\n")

TS_CONFIG = {
    "id": "ts-config",
    "language": "typescript",
    "category": "refactoring",
    "path": "config.ts",
    "prompt": "Here's config.ts, which builds our server settings from environment variables. Add a "
              "`logLevel` setting read from LOG_LEVEL: one of debug, info, warn or error (default info); any "
              "other value must throw.",
    "initial": TS_V0,
    "reference": TS_T3F,
    "turns": [
        {"instruction": "Add a JSDoc comment (/** ... */) to every function.",
         "constraints": [{"type": "docs.required", "targets": "functions"}],
         "category": "docs"},
        {"instruction": "parseDuration has one return per unit. Look the unit's multiplier up in a table instead, "
                        "so the function has a single return statement.",
         "constraints": [{"type": "complexity.max_returns", "max": 1}],
         "scope": {"symbol": "parseDuration"},
         "category": "complexity"},
        {"instruction": "Also read MAX_CONNECTIONS: a positive integer, default 100, anything else throws. Keep "
                        "every function at 15 lines or fewer.",
         "constraints": [{"type": "size.function_length", "max_lines": 15}],
         "category": "size"},
    ],
    "rounds": [
        (0, 0, "whole:backtick", "I added a `LogLevel` type, the `logLevel` field with its default, and "
                                 "`parseLogLevel`, which throws on unknown names.", TS_T0),
        (1, 0, "whole:info", "Every function now has a JSDoc comment:", TS_T1),
        (2, 0, "raw", "", TS_T2_BAD),
        (2, 1, "whole:backtick", "The SEARCH block didn't match your file (I had misremembered parseDuration "
                                 "as a switch). Here is the whole file with the lookup table:", TS_T2),
        (3, 0, "sr", "MAX_CONNECTIONS is parsed by a new `parseMaxConnections` helper; parseConfig stays at "
                     "nine lines.", TS_T3, TS_T2),
        (3, 1, "sr", "The new helper had a line comment instead of JSDoc. Fixed:", TS_T3F),
    ],
    "story": "At turn 2 the assistant answers with a SEARCH/REPLACE block whose SEARCH text is not in the file "
             "(it misremembers parseDuration as a switch): an edit-format error, the file is unchanged and "
             "the turn fails; in dynamic mode the feedback round sends the whole file and passes. At turn 3 "
             "the new parseMaxConnections helper gets a `//` comment instead of JSDoc, so turn 1 fails again "
             "(forgetting); the feedback round fixes it.",
    "expect": {"unsatisfied": [2], "edit_format_errors": [[2, 0]], "forgets": [[3, 1]]},
}

# ---------------------------------------------------------------------------------------------
# go-inventory: clean
GO_V0 = '''package inventory

import (
	"errors"
	"fmt"
)

var ErrUnknownItem = errors.New("unknown item")

type Inventory struct {
	stock map[string]int
}

func New() *Inventory {
	return &Inventory{stock: map[string]int{}}
}

func (inv *Inventory) Add(sku string, qty int) {
	inv.stock[sku] += qty
}

func (inv *Inventory) Remove(sku string, qty int) error {
	have, ok := inv.stock[sku]
	if !ok {
		return ErrUnknownItem
	}
	if have < qty {
		return fmt.Errorf("only %d of %s left", have, sku)
	}
	inv.stock[sku] = have - qty
	return nil
}
'''

GO_T0 = GO_V0 + '''
func (inv *Inventory) Reserve(order map[string]int) error {
	for sku, qty := range order {
		if inv.stock[sku] < qty {
			if _, ok := inv.stock[sku]; !ok {
				return ErrUnknownItem
			}
			return fmt.Errorf("only %d of %s left", inv.stock[sku], sku)
		}
	}
	for sku, qty := range order {
		inv.stock[sku] -= qty
	}
	return nil
}
'''

GO_T1 = GO_T0.replace('''	for sku, qty := range order {
		if inv.stock[sku] < qty {
			if _, ok := inv.stock[sku]; !ok {
				return ErrUnknownItem
			}
			return fmt.Errorf("only %d of %s left", inv.stock[sku], sku)
		}
	}
''', '''	for sku, qty := range order {
		have, ok := inv.stock[sku]
		if !ok {
			return ErrUnknownItem
		}
		if have < qty {
			return fmt.Errorf("only %d of %s left", have, sku)
		}
	}
''')

GO_T2 = (GO_T1
         .replace("type Inventory struct", "// Inventory tracks the stock level of each SKU.\ntype Inventory struct")
         .replace("func New()", "// New returns an empty inventory.\nfunc New()")
         .replace("func (inv *Inventory) Add(", "// Add puts qty units of sku into stock.\nfunc (inv *Inventory) Add(")
         .replace("func (inv *Inventory) Remove(", "// Remove takes qty units of sku out of stock, if there are enough.\nfunc (inv *Inventory) Remove(")
         .replace("func (inv *Inventory) Reserve(", "// Reserve removes every line of order from stock, or nothing if any line cannot be filled.\nfunc (inv *Inventory) Reserve("))

GO_T3 = (GO_T2
         .replace('''import (
	"errors"
	"fmt"
)''', '''import "errors"''')
         .replace('''var ErrUnknownItem = errors.New("unknown item")
''', '''// ErrUnknownItem is returned for a SKU the inventory has never stocked.
var ErrUnknownItem = errors.New("unknown item")

// ErrInsufficientStock is returned when there are fewer units in stock than requested.
var ErrInsufficientStock = errors.New("insufficient stock")
''')
         .replace('''			return fmt.Errorf("only %d of %s left", have, sku)
''', '''			return ErrInsufficientStock
''')
         .replace('''		return fmt.Errorf("only %d of %s left", have, sku)
''', '''		return ErrInsufficientStock
'''))

GO_T4 = (GO_T3
         .replace('''var ErrInsufficientStock = errors.New("insufficient stock")
''', '''var ErrInsufficientStock = errors.New("insufficient stock")

// ErrInvalidQuantity is returned for a quantity that is zero or negative.
var ErrInvalidQuantity = errors.New("quantity must be positive")
''')
         .replace('''// Add puts qty units of sku into stock.
func (inv *Inventory) Add(sku string, qty int) {
	inv.stock[sku] += qty
}''', '''// Add puts qty units of sku into stock.
func (inv *Inventory) Add(sku string, qty int) error {
	if qty <= 0 {
		return ErrInvalidQuantity
	}
	inv.stock[sku] += qty
	return nil
}''')
         .replace('''func (inv *Inventory) Remove(sku string, qty int) error {
	have, ok''', '''func (inv *Inventory) Remove(sku string, qty int) error {
	if qty <= 0 {
		return ErrInvalidQuantity
	}
	have, ok'''))

GO_INVENTORY = {
    "id": "go-inventory",
    "language": "go",
    "category": "feature",
    "path": "inventory.go",
    "prompt": "This is inventory.go from our warehouse service. Add `Reserve(order map[string]int) error`: it "
              "removes every line of the order from stock, or nothing at all if any line cannot be filled "
              "(unknown SKU or not enough stock).",
    "initial": GO_V0,
    "reference": GO_T4,
    "turns": [
        {"instruction": "Reserve nests an if inside an if inside the loop. Flatten it: no more than two levels "
                        "of nesting.",
         "constraints": [{"type": "complexity.nesting_depth", "max": 2}],
         "scope": {"symbol": "Reserve"},
         "category": "complexity"},
        {"instruction": "Add a GoDoc comment to every exported type and function.",
         "constraints": [{"type": "docs.required", "public_only": True}],
         "category": "docs"},
        {"instruction": "Callers need errors.Is: add an ErrInsufficientStock sentinel and return it instead of "
                        "the fmt.Errorf message, then drop the fmt import.",
         "constraints": [{"type": "imports.forbidden", "modules": ["fmt"]},
                         {"type": "symbol.global_variable", "name": "ErrInsufficientStock"}],
         "category": "imports"},
        {"instruction": "Add and Remove must reject a zero or negative quantity with a new ErrInvalidQuantity "
                        "sentinel; Add returns an error now.",
         "constraints": [{"type": "symbol.global_variable", "name": "ErrInvalidQuantity"}],
         "category": "errors"},
    ],
    "rounds": [
        (0, 0, "whole:name", "Reserve checks every line first and only then takes the stock, so a failed "
                             "order leaves the inventory untouched.", GO_T0),
        (1, 0, "diff", "Reserve now reads the stock level once per line and returns early:", GO_T1),
        (2, 0, "whole:info", "GoDoc comments added to the sentinel, the type and each function:", GO_T2),
        (3, 0, "sr", "Here are the changes; fmt is no longer imported.", GO_T3),
        (4, 0, "whole:backtick", "Add and Remove now reject non-positive quantities with ErrInvalidQuantity.",
         GO_T4),
    ],
    "story": "Clean: each instruction is followed when it is given and still holds at the end; the edits stay "
             "inside the code the instruction is about.",
    "expect": {},
}

# ---------------------------------------------------------------------------------------------
# java-retry: an instruction never satisfied, and an out-of-scope edit
JAVA_V0 = '''import java.util.concurrent.Callable;

public class Retry {
    private final int maxAttempts;
    private final long baseDelayMs;

    public Retry(int maxAttempts, long baseDelayMs) {
        this.maxAttempts = maxAttempts;
        this.baseDelayMs = baseDelayMs;
    }

    public <T> T call(Callable<T> action) throws Exception {
        Exception last = null;
        for (int attempt = 1; attempt <= maxAttempts; attempt++) {
            try {
                return action.call();
            } catch (Exception e) {
                last = e;
                Thread.sleep(baseDelayMs * attempt);
            }
        }
        throw last;
    }
}
'''

JAVA_T0 = '''import java.io.IOException;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeoutException;

public class Retry {
    private final int maxAttempts;
    private final long baseDelayMs;

    public Retry(int maxAttempts, long baseDelayMs) {
        this.maxAttempts = maxAttempts;
        this.baseDelayMs = baseDelayMs;
    }

    public <T> T call(Callable<T> action) throws Exception {
        Exception last = null;
        for (int attempt = 1; attempt <= maxAttempts; attempt++) {
            try {
                return action.call();
            } catch (Exception e) {
                if (!(e instanceof IOException) && !(e instanceof TimeoutException)) {
                    throw e;
                }
                last = e;
                Thread.sleep((long) backoffDelay(attempt));
            }
        }
        throw last;
    }

    private double backoffDelay(int attempt) {
        return baseDelayMs * Math.pow(2, attempt - 1);
    }
}
'''

JAVA_T1 = JAVA_T0.replace('''            } catch (Exception e) {
                if (!(e instanceof IOException) && !(e instanceof TimeoutException)) {
                    throw e;
                }
                last = e;''', '''            } catch (IOException | TimeoutException e) {
                last = e;''')

JAVA_T2 = JAVA_T1.replace('''    public <T> T call(Callable<T> action) throws Exception {
        Exception last = null;
        for (int attempt = 1; attempt <= maxAttempts; attempt++) {
            try {
                return action.call();
            } catch (IOException | TimeoutException e) {
                last = e;
                Thread.sleep((long) backoffDelay(attempt));
            }
        }
        throw last;
    }''', '''    public <T> T call(Callable<T> action) throws Exception {
        for (int attempt = 1; ; attempt++) {
            try {
                return action.call();
            } catch (IOException | TimeoutException e) {
                if (attempt >= maxAttempts) {
                    throw e;
                }
                Thread.sleep((long) backoffDelay(attempt));
            }
        }
    }''')

JAVA_T2F = JAVA_T2.replace('''            } catch (IOException | TimeoutException e) {
                if (attempt >= maxAttempts) {
                    throw e;
                }
                Thread.sleep((long) backoffDelay(attempt));
            }
        }
    }
''', '''            } catch (IOException | TimeoutException e) {
                giveUpOrWait(e, attempt);
            }
        }
    }

    private void giveUpOrWait(Exception error, int attempt) throws Exception {
        if (attempt >= maxAttempts) {
            throw error;
        }
        Thread.sleep((long) backoffDelay(attempt));
    }
''')

JAVA_T3 = '''import java.io.IOException;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeoutException;

public class Retry {
    private static final long MAX_DELAY_MS = 30_000;

    private final int maxAttempts;
    private final long baseDelayMs;

    public Retry(int maxAttempts, long baseDelayMs) {
        if (maxAttempts < 1 || baseDelayMs < 0) {
            throw new IllegalArgumentException("maxAttempts must be at least 1 and baseDelayMs not negative");
        }
        this.maxAttempts = maxAttempts;
        this.baseDelayMs = baseDelayMs;
    }

    public <T> T call(Callable<T> action) throws Exception {
        for (int attempt = 1; ; attempt++) {
            try {
                return action.call();
            } catch (IOException | TimeoutException error) {
                if (attempt >= maxAttempts) {
                    throw error;
                }
                Thread.sleep(backoffDelay(attempt));
            }
        }
    }

    private long backoffDelay(int attempt) {
        return Math.min(MAX_DELAY_MS, baseDelayMs << Math.min(attempt - 1, 30));
    }
}
'''

JAVA_T4 = (JAVA_T3
           .replace("public class Retry {", "/** Runs an action again after transient I/O failures, waiting longer each time. */\npublic class Retry {")
           .replace("    public Retry(", "    /** A policy of at most {@code maxAttempts} tries, waiting {@code baseDelayMs} after the first. */\n    public Retry(")
           .replace("    public <T> T call(", "    /** Runs {@code action}, retrying on IOException and TimeoutException. */\n    public <T> T call("))

JAVA_REFERENCE = '''import java.io.IOException;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeoutException;

/** Runs an action again after transient I/O failures, waiting longer each time. */
public class Retry {
    private static final long MAX_DELAY_MS = 30_000;

    private final int maxAttempts;
    private final long baseDelayMs;

    /** A policy of at most {@code maxAttempts} tries, waiting {@code baseDelayMs} after the first. */
    public Retry(int maxAttempts, long baseDelayMs) {
        this.maxAttempts = maxAttempts;
        this.baseDelayMs = baseDelayMs;
    }

    /** Runs {@code action}, retrying on IOException and TimeoutException. */
    public <T> T call(Callable<T> action) throws Exception {
        return callFrom(action, 1);
    }

    private <T> T callFrom(Callable<T> action, int attempt) throws Exception {
        try {
            return action.call();
        } catch (IOException | TimeoutException error) {
            giveUpOrWait(error, attempt);
        }
        return callFrom(action, attempt + 1);
    }

    private void giveUpOrWait(Exception error, int attempt) throws Exception {
        if (attempt >= maxAttempts) {
            throw error;
        }
        Thread.sleep(backoffDelay(attempt));
    }

    private long backoffDelay(int attempt) {
        return Math.min(MAX_DELAY_MS, baseDelayMs << Math.min(attempt - 1, 30));
    }
}
'''

JAVA_RETRY = {
    "id": "java-retry",
    "language": "java",
    "category": "refactoring",
    "path": "Retry.java",
    "prompt": "Here's Retry.java, our retry helper. Two changes: only IOException and TimeoutException are worth "
              "retrying, anything else must be rethrown at once; and back off exponentially (base, 2x base, "
              "4x base, ...) instead of linearly. Put the delay computation in a `backoffDelay(int attempt)` "
              "method.",
    "initial": JAVA_V0,
    "reference": JAVA_REFERENCE,
    "turns": [
        {"instruction": "Catch IOException and TimeoutException by name instead of catching Exception and "
                        "checking instanceof.",
         "constraints": [{"type": "errors.no_catch_all"}],
         "scope": {"symbol": "call"},
         "category": "errors"},
        {"instruction": "call() is still too tangled. Keep every method's cyclomatic complexity at 2 or less and "
                        "its nesting at one level.",
         "constraints": [{"type": "complexity.cyclomatic", "max": 2},
                         {"type": "complexity.nesting_depth", "max": 1}],
         "scope": {"symbol": "call"},
         "category": "complexity"},
        {"instruction": "backoffDelay should return whole milliseconds as a long, and never more than 30 seconds. "
                        "Don't use Math.pow for it, that works in doubles.",
         "constraints": [{"type": "calls.forbidden", "names": ["Math.pow"]}],
         "scope": {"symbol": "backoffDelay"},
         "category": "calls"},
        {"instruction": "Add Javadoc to the class and to its public constructor and methods.",
         "constraints": [{"type": "docs.required", "public_only": True}],
         "category": "docs"},
    ],
    "rounds": [
        (0, 0, "whole:name", "call() now rethrows anything that is not an IOException or a TimeoutException, "
                             "and waits `backoffDelay(attempt)`, which doubles with each attempt.", JAVA_T0),
        (1, 0, "sr", "A multi-catch does it:", JAVA_T1),
        (2, 0, "whole:info", "I simplified call(): the loop no longer needs the `last` variable, it rethrows "
                             "directly on the last attempt.", JAVA_T2),
        (2, 1, "whole:backtick", "I moved the give-up-or-wait decision into a helper. call() is now a loop "
                                 "around a try; I don't think it can get simpler than that without changing "
                                 "how it works.", JAVA_T2F),
        (3, 0, "whole:name", "backoffDelay now returns a long, capped at MAX_DELAY_MS (30 s); the shift "
                             "amount is capped too so it cannot overflow. I also made the constructor reject "
                             "bad arguments and tidied call() now that the cast is gone.", JAVA_T3),
        (4, 0, "whole:info", "Javadoc added to the class, the constructor and call():", JAVA_T4),
    ],
    "story": "At turn 2 (complexity at most 2, nesting at most 1) the assistant restructures call() but it "
             "still has a loop around a try/catch; in dynamic mode its feedback answer moves the decision into "
             "a new helper method beside call() (outside call's scope: a harmless boundary error) and still "
             "fails, so the instruction is dropped, never satisfied. At turn 3, asked to change backoffDelay "
             "only, it also rewrites the constructor and call(): an out-of-scope edit.",
    "expect": {"unsatisfied": [2], "dropped": [2], "out_of_scope": [[2, 1], [3, 0]]},
}

# ---------------------------------------------------------------------------------------------
# js-cache: clean
JS_V0 = '''class TtlCache {
  constructor(ttlMs, now) {
    this.ttlMs = ttlMs;
    this.now = now || Date.now;
    this.entries = new Map();
  }

  get(key) {
    const entry = this.entries.get(key);
    if (entry === undefined) {
      return undefined;
    }
    if (this.now() - entry.storedAt > this.ttlMs) {
      this.entries.delete(key);
      return undefined;
    }
    return entry.value;
  }

  set(key, value) {
    this.entries.set(key, { value: value, storedAt: this.now() });
  }
}

module.exports = { TtlCache };
'''

JS_T0 = (JS_V0
         .replace('''  constructor(ttlMs, now) {
    this.ttlMs = ttlMs;
''', '''  constructor(ttlMs, maxEntries, now) {
    this.ttlMs = ttlMs;
    this.maxEntries = maxEntries || 100;
''')
         .replace('''  set(key, value) {
    this.entries.set(key, { value: value, storedAt: this.now() });
  }
''', '''  set(key, value) {
    if (!this.entries.has(key) && this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      this.entries.delete(oldest);
    }
    this.entries.set(key, { value: value, storedAt: this.now() });
  }

  size() {
    const now = this.now();
    let count = 0;
    for (const entry of this.entries.values()) {
      if (now - entry.storedAt <= this.ttlMs) {
        count++;
      }
    }
    return count;
  }
'''))

JS_T1 = JS_T0.replace('''  constructor(ttlMs, maxEntries, now) {
    this.ttlMs = ttlMs;
    this.maxEntries = maxEntries || 100;
    this.now = now || Date.now;''', '''  constructor(ttlMs, options = {}) {
    this.ttlMs = ttlMs;
    this.maxEntries = options.maxEntries || 100;
    this.now = options.now || Date.now;''')

JS_T2 = JS_T1.replace('''    const now = this.now();
    let count = 0;
    for (const entry of this.entries.values()) {
      if (now - entry.storedAt <= this.ttlMs) {
        count++;
      }
    }
    return count;''', '''    const now = this.now();
    return [...this.entries.values()].filter((entry) => now - entry.storedAt <= this.ttlMs).length;''')

JS_T3 = (JS_T2
         .replace("class TtlCache {", "/** A key-value cache whose entries expire `ttlMs` milliseconds after they are set. */\nclass TtlCache {")
         .replace("  constructor(", "  /**\n   * @param {number} ttlMs how long an entry lives\n   * @param {{maxEntries?: number, now?: () => number}} options size limit and clock\n   */\n  constructor(")
         .replace("  get(key) {", "  /** The value stored under `key`, or undefined if it is missing or expired. */\n  get(key) {")
         .replace("  set(key, value) {", "  /** Stores `value` under `key`, evicting the oldest entry when the cache is full. */\n  set(key, value) {")
         .replace("  size() {", "  /** The number of entries that have not expired. */\n  size() {"))

JS_CACHE = {
    "id": "js-cache",
    "language": "javascript",
    "category": "feature",
    "path": "cache.js",
    "prompt": "Here is cache.js, a small TTL cache. Add a maximum size: a `maxEntries` constructor argument "
              "(default 100); when the cache is full, `set()` of a new key evicts the oldest entry. Also add "
              "`size()`, which counts only entries that have not expired.",
    "initial": JS_V0,
    "reference": JS_T3,
    "turns": [
        {"instruction": "Three positional constructor arguments are easy to mix up. Take at most two parameters: "
                        "`ttlMs` and an options object `{ maxEntries, now }`.",
         "constraints": [{"type": "size.max_parameters", "max": 2}],
         "scope": {"symbol": "constructor"},
         "category": "size"},
        {"instruction": "Write size() without a loop: filter the entries instead.",
         "constraints": [{"type": "structure.forbidden_loop"}],
         "scope": {"symbol": "size"},
         "category": "structure"},
        {"instruction": "Add JSDoc comments to the class and to each method.",
         "constraints": [{"type": "docs.required"}],
         "category": "docs"},
    ],
    "rounds": [
        (0, 0, "whole:backtick", "A Map keeps insertion order, so the first key is the oldest entry; set() "
                                 "evicts it when a new key would go over `maxEntries`.", JS_T0),
        (1, 0, "sr", "The constructor now takes an options object:", JS_T1),
        (2, 0, "diff", "size() filters the live entries:", JS_T2),
        (3, 0, "whole:info", "JSDoc for the class and every method:", JS_T3),
    ],
    "story": "Clean, and short: three instructions, each followed at its turn with an in-scope edit (a "
             "SEARCH/REPLACE block, a unified diff, a whole file), none forgotten later.",
    "expect": {},
}

CONVERSATIONS = [TS_CONFIG, GO_INVENTORY, JAVA_RETRY, JS_CACHE]

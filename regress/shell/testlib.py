"""What the Python shell tests share: named checks that count failures."""


class Checks:
    """check(what, got, wanted) prints ok or FAIL (with `context`, e.g. the
    seed that replays the run) and counts the failures."""

    def __init__(self, context=""):
        self.failures = 0
        self.context = f" ({context})" if context else ""

    def __call__(self, what, got, wanted):
        if got != wanted:
            self.failures += 1
            print(f"FAIL{self.context}: {what}: got {got!r}, wanted {wanted!r}", flush=True)
        else:
            print(f"ok: {what}", flush=True)

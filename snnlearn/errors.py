"""Errors raised by snnlearn."""


class RuleError(ValueError):
    """A plasticity rule is malformed or cannot be attached as declared.

    The message is one line: the rule's name, the offending line or identifier,
    and how to fix it. Raised at construction or at :func:`snnlearn.connect`,
    before any simulation starts.
    """

    def __init__(self, rule_name, message):
        self.rule_name = rule_name
        super().__init__(f"rule '{rule_name}': {message}")


class UsageError(ValueError):
    """Bad input from the user (unknown experiment, bad parameter, unwritable directory): one line, exit status 2."""


class RunawayError(RuntimeError):
    """A simulation produced non-finite or exploding values (NaN/inf weights, rates)."""

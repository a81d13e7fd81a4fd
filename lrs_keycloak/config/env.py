"""``${NAME}`` and ``${NAME:-default}`` in policy values, replaced from the environment."""

from __future__ import annotations

import os
import re

#: ``${NAME}`` or ``${NAME:-default}``; the default runs to the first "}" on the same line.
ENV_REF_HEAD = re.compile(r"\$\{([A-Z_][A-Z0-9_]*)(\}|:-)")


def interpolate(value: str) -> str:
    r"""Replace ``${NAME}`` / ``${NAME:-default}`` with the environment's value (or default).

    Same result as ``re.sub(r"\$\{([A-Z_][A-Z0-9_]*)(?::-(.*?))?\}", ...)``, in linear time:
    that pattern looked for a closing "}" again from every unclosed ``${X:-``, so a long
    value of them took quadratic time. Here the next "}" and line end are found once and
    reused until passed.
    """
    out: list[str] = []
    done = 0  # value[:done] is already in out
    search_from = 0
    end = len(value)
    close = newline = -1  # next "}" / "\n" at or after some earlier point (end: none)
    while (head := ENV_REF_HEAD.search(value, search_from)) is not None:
        name, opener = head.group(1), head.group(2)
        if opener == "}":
            out += [value[done : head.start()], os.environ.get(name) or ""]
            done = search_from = head.end()
            continue
        if close < head.end():
            found = value.find("}", head.end())
            close = found if found >= 0 else end
        if newline < head.end():
            found = value.find("\n", head.end())
            newline = found if found >= 0 else end
        if close < min(newline, end):
            default = value[head.end() : close]
            out += [value[done : head.start()], os.environ.get(name) or default]
            done = search_from = close + 1
        else:
            search_from = head.start() + 1  # unclosed on its line: left as written
    out.append(value[done:])
    return "".join(out)

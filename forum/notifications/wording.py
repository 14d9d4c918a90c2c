"""A notification's sentence, written when it is read rather than when it was stored: in
the reader's language, with the actor's name and the thread's title as they are now (an
erased actor reads "A former member"). The stored `text` stays the English record (the
API's, and the fallback for what these sentences do not cover, such as a flag on an
intelligence item)."""

from __future__ import annotations

from forum.core.i18n import _


def describe(
    kind: str, *, actor: str | None, title: str | None, stored: str, on_post: bool = True
) -> str:
    """The sentence for a notification of `kind` by `actor` in the thread `title`."""
    if title is None:
        return stored
    who = actor or _("A former member")
    if kind == "reply":
        return _("%(actor)s replied in “%(title)s”", actor=who, title=title)
    if kind == "mention":
        return _("%(actor)s mentioned you in “%(title)s”", actor=who, title=title)
    if kind == "thread_post":
        return _("New reply by %(actor)s in “%(title)s”", actor=who, title=title)
    if kind == "flag" and on_post:
        return _("%(actor)s flagged a post in “%(title)s”", actor=who, title=title)
    if kind == "flag":
        return _("%(actor)s flagged the thread “%(title)s”", actor=who, title=title)
    return stored

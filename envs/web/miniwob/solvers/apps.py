"""Small apps: an email inbox (open a sender's email, reply, forward, delete, star), from
templated and free-form (natural-language) instructions, and a social-media feed (a post's
buttons and its "more" menu)."""

from __future__ import annotations

import re
from enum import Enum

from agentloop.context import Context
from agentloop.envs.web.miniwob.solvers.common import (
    WAIT,
    Action,
    Kind,
    Skill,
    Solvers,
    body,
    call,
    click,
    done_actions,
    find,
    quoted,
    textboxes,
    type_into,
)
from agentloop.scene import Node


class Mail(str, Enum):
    """What an email instruction asks for."""

    REPLY = "reply"
    FORWARD = "forward"
    DELETE = "delete"
    STAR = "star"


_DELETE = re.compile(r"delet|remov|rid of|trash|discard|erase|throw", re.I)
_STAR = re.compile(r"star|importan|imporant|flag", re.I)
# Capitalised words that are not names in the instructions' templates ("Foward" as one spells it).
_NOT_NAMES = {"find", "the", "email", "e", "mail", "forward", "foward", "send", "reply", "please", "can", "could", "go",
              "give", "i", "in", "my", "look", "locate", "search", "open", "pull", "mark", "delete", "select",
              "copy", "ask", "automatically", "let", "navigate", "get", "there", "siri", "respond", "tell",
              "write", "remove", "primary", "inbox", "would", "you", "to", "a", "an", "from", "by", "is", "this",
              "check", "show", "make", "put", "answer", "label", "flag", "star", "trash", "erase", "discard"}
_SENDER_CUES = (r"(?:from|by) {n}\b", r"\b{n}'s\b", r"\b{n} sent\b", r"\b{n} wants (?:his|her)\b")


def _names(goal: str) -> list[str]:
    text = re.sub(r'"[^"]*"', " ", goal)  # a reply's text is not a name
    out: list[str] = []
    for w in re.findall(r"\b[A-Z][a-zA-Z]+(?:-[A-Z][a-zA-Z]+)*\b", text):  # Ann-Marie is one name
        if w.lower() not in _NOT_NAMES and w not in out:
            out.append(w)
    return out


def _intent(goal: str) -> tuple[Mail, str | None, str | None, str | None]:
    """(what, sender, recipient, reply text) for an email instruction."""
    texts = quoted(goal)
    names = _names(goal)
    if texts and re.search(r"repl|respon|answer|tell|say|messag|email|\"", goal, re.I):
        what = Mail.REPLY
    elif _DELETE.search(goal):
        what = Mail.DELETE
    elif _STAR.search(goal):
        what = Mail.STAR
    else:
        what = Mail.FORWARD
    sender = next((n for n in names for cue in _SENDER_CUES if re.search(cue.format(n=re.escape(n)), goal)), None)
    sender = sender or (names[0] if names else None)
    rest = [n for n in names if n != sender]
    return what, sender, rest[0] if rest else None, _reply_text(goal, texts)


def _reply_text(goal: str, texts: list[str]) -> str | None:
    """The quoted text to reply with. Some crowd-written templates quote it twice
    (`with ""Phasellus elit, feugiat." "`): then it is what the outermost quotes hold."""
    if not texts:
        return None
    if texts[0].strip():
        return texts[0]
    outer = re.search(r'"(.*)"', goal)
    return outer.group(1).strip('" ') if outer else texts[0]


def _icon(ctx: Context, *names: str) -> Node | None:
    """A clickable icon whose name (aria-label, title or class words) has one of `names`."""
    return next((n for n in body(ctx) if n.get("clickable") and set(names) & set(n.name.lower().split())), None)



def email(ctx: Context) -> Action:
    what, sender, dest, text = _intent(ctx.goal)
    if sender is None:
        return WAIT
    send = _icon(ctx, "send")
    if send is not None:  # composing a reply or a forward
        fields = textboxes(ctx)
        to = next((f for f in fields if f.get("tag") == "input"), None)
        body_box = next((f for f in fields if f.get("tag") == "textarea"), None)
        if what is Mail.FORWARD and to is not None and dest and to.get("value") != dest:
            return type_into(to, dest)
        if what is Mail.REPLY and body_box is not None and text is not None and body_box.get("value") != text:
            return type_into(body_box, text)
        return click(send)
    reply, forward = find(ctx, "reply", [Kind.GENERIC]), find(ctx, "forward", [Kind.GENERIC])
    if reply is not None and forward is not None:  # an email is open
        if what is Mail.DELETE:
            icon = _icon(ctx, "delete", "trash")
            return click(icon) if icon else WAIT
        if what is Mail.STAR:
            icon = _icon(ctx, "star")
            return click(icon) if icon else WAIT
        return click(reply if what is Mail.REPLY else forward)
    row = next((n for n in body(ctx, [Kind.GENERIC]) if n.name.strip() == sender and n.get("clickable")), None)
    if row is not None:
        return click(row)
    # Not on screen: scroll the inbox down (once per step; the graph holds only what is in view).
    return call(Skill.SCROLL, direction="down", amount=150)


# ---- social media ------------------------------------------------------------------------------
_ICONS = ("reply", "retweet", "like", "share", "more")
_POST_PX = 60


def _posts(ctx: Context, user: str) -> list[dict[str, Node]]:
    """The posts by `user`, each as {icon name: node}: a post's icons are the first of each
    kind after its @handle in page order, and just below it (a post is ~60 px tall, so an
    icon further down belongs to a post whose handle the graph does not hold)."""
    posts: list[dict[str, Node]] = []
    current: dict[str, Node] | None = None
    top = 0.0
    for n in body(ctx):
        if n.kind == Kind.TEXT and n.name.strip().startswith("@"):
            current = {} if n.name.strip().lower() == user.lower() else None
            top = n.get("bbox")[1]
            if current is not None:
                posts.append(current)
        elif current is not None and n.get("clickable") and 0 < n.get("bbox")[1] - top < _POST_PX:
            word = n.name.strip().lower().split()[0] if n.name.strip() else ""
            if word in _ICONS and word not in current:
                current[word] = n
    return posts


def social_media(ctx: Context) -> Action:
    """'For the user @x, click on the "B" button' / 'Click the "B" button on all posts by @x' /
    '... on N posts by @x', then Submit where there is one. Buttons not on the post (Block,
    Mute, Share, ...) are in its "more" menu."""
    m = re.search(r"@[\w.]+", ctx.goal)
    names = quoted(ctx.goal)
    if not m or not names:
        return WAIT
    user, button = m.group(0), names[0].strip()
    count = re.search(r"on (\d+) posts? by", ctx.goal)
    want = None if "all posts" in ctx.goal else int(count.group(1)) if count else 1
    posts = _posts(ctx, user)
    done = done_actions(ctx)
    icon = button.lower()
    if icon in _ICONS:
        # Counted from the history: what a post's icons look like changes once clicked.
        clicked = sum(1 for h in ctx.history if not h.action_error and h.action.startswith("click(")
                      and any(t.split(":", 1)[-1].lower().split()[:1] == [icon] for t in h.targets))
        todo = [p for p in posts if icon in p and str(click(p[icon])) not in done]
        if todo and (want is None or clicked < want):
            return click(todo[0][icon])
        if want is not None and clicked < want:
            return call(Skill.SCROLL, direction="down", amount=150)
        submit_button = find(ctx, "submit", [Kind.BUTTON])
        # The Submit button sits below the feed: scroll to it when the graph does not hold it.
        return click(submit_button) if submit_button else call(Skill.SCROLL, direction="down", amount=300)
    item = next((n for n in body(ctx, [Kind.LISTITEM, Kind.MENUITEM, Kind.OPTION])
                 if n.name.strip().lower().startswith(icon)
                 and (user.lower() in n.name.lower() or "@" not in n.name)), None)
    if item is not None and any(str(click(p["more"])) in done for p in posts if "more" in p):
        return click(item)
    target = next((p for p in posts if "more" in p), None)
    return click(target["more"]) if target else WAIT


SOLVERS: Solvers = {
    "miniwob.email-inbox": email,
    "miniwob.email-inbox-delete": email,
    "miniwob.email-inbox-forward": email,
    "miniwob.email-inbox-forward-nl": email,
    "miniwob.email-inbox-important": email,
    "miniwob.email-inbox-nl-turk": email,
    "miniwob.email-inbox-noscroll": email,
    "miniwob.email-inbox-reply": email,
    "miniwob.email-inbox-star-reply": email,
    "miniwob.social-media": social_media,
    "miniwob.social-media-all": social_media,
    "miniwob.social-media-some": social_media,
}

# Not claimed (8/10): a few of email-inbox-forward-nl-turk's crowd-written templates swap the
# sender and the recipient ("Forward DEST's email from yesterday to NAME"), so the instruction
# names the wrong email.
PENDING: Solvers = {"miniwob.email-inbox-forward-nl-turk": email}

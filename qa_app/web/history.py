"""Audit events told in plain words ("Bientap1 chuyển cho Sở Xây dựng (2 câu gộp)"), for the question
history and the audit log; the raw record (JSON, readable Vietnamese) stays one click away for admins."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from qa_app.i18n import N_, gettext, ngettext
from qa_app.labels import REJECT_REASON_LABELS
from qa_app.models import AuditEvent
from qa_app.services.audit import SYSTEM_LABEL

ACTION_LABELS = {
    "question.route": N_("routed a question"),
    "question.reject": N_("rejected a question"),
    "question.reopen": N_("put a question back in the queue"),
    "question.priority": N_("changed a priority"),
    "question.edit": N_("edited a question's wording"),
    "question.approve_wording": N_("approved a question's wording"),
    "question.merge": N_("merged questions"),
    "question.split": N_("split a submission off"),
    "question.undo": N_("undid a merge or a split"),
    "question.reroute_request": N_("asked to route a question elsewhere"),
    "question.reroute_decision": N_("decided a re-routing request"),
    "submission.create": N_("took in a submission"),
    "answer.submit": N_("submitted an answer for review"),
    "answer.approve": N_("approved an answer"),
    "answer.return": N_("returned an answer to the department"),
    "answer.publish": N_("published an answer"),
    "rundown.add": N_("added a question to the rundown"),
    "rundown.remove": N_("removed a question from the rundown"),
    "rundown.skip": N_("skipped a question in the rundown"),
    "rundown.reorder": N_("reordered the rundown"),
    "onair.put": N_("put a question on air"),
    "onair.pull": N_("pulled a question off air"),
    "onair.done": N_("marked a question answered on air"),
    "episode.create": N_("created an episode"),
    "episode.update": N_("edited an episode"),
    "episode.status": N_("changed an episode's status"),
    "episode.matching": N_("changed the matching settings"),
    "episode.add_official": N_("added an answering official"),
    "episode.remove_official": N_("removed an answering official"),
    "episode.studio_link_revoke": N_("revoked the studio screen link"),
    "department.update": N_("edited a department"),
    "department.import": N_("imported the departments"),
    "user.create": N_("created an account"),
    "user.login": N_("logged in"),
    "user.deactivate": N_("deactivated an account"),
    "user.activate": N_("reactivated an account"),
    "user.reset_password": N_("reset a password"),
    "token.create": N_("created an API token"),
    "holiday.add": N_("added a public holiday"),
    "holiday.delete": N_("removed a public holiday"),
    "retention.purge": N_("purged expired personal data"),
    "personal_data.erase": N_("erased a citizen's personal data"),
    "report.export": N_("exported a report"),
    "report.export_contacts": N_("exported citizens' contacts"),
    "rating.create": N_("rated an answer"),
    "commitment.claim": N_("reported a commitment kept"),
    "commitment.accept": N_("accepted a commitment as kept"),
    "commitment.refuse": N_("refused a commitment's report"),
    "commitment.drop": N_("dropped a commitment"),
    "commitment.overdue": N_("marked a commitment overdue"),
    "commitment.verdict": N_("gave a verdict on a commitment"),
    "notifications.unsubscribe": N_("stopped messages"),
    "notifications.send_again": N_("sent a message again"),
}
ENTITY_LABELS = {
    "question": N_("Question"),
    "submission": N_("Submission"),
    "answer": N_("Answer"),
    "commitment": N_("Commitment"),
    "episode": N_("Episode"),
    "department": N_("Department"),
    "user": N_("User"),
    "holiday": N_("Holiday"),
    "api_token": N_("API token"),
    "outbound_message": N_("Message"),
}
PRIORITY_LABELS = (N_("normal"), N_("high"), N_("urgent"))
QUOTE_LENGTH = 120


def action_label(action: str) -> str:
    label = ACTION_LABELS.get(action)
    return gettext(label) if label else action


def entity_label(event: AuditEvent) -> str:
    """ "Câu hỏi #12": what the event is about."""
    label = ENTITY_LABELS.get(event.entity_type)
    name = gettext(label) if label else event.entity_type
    return f"{name} #{event.entity_id}" if event.entity_id else name


def _who(event: AuditEvent) -> str:
    if not event.actor_label or (event.actor_id is None and event.actor_label == SYSTEM_LABEL):
        return gettext("The system")
    return event.actor_label


def _priority(value: Any) -> str:
    return gettext(PRIORITY_LABELS[value]) if isinstance(value, int) and 0 <= value < len(PRIORITY_LABELS) else "?"


def _quote(text: Any) -> str:
    text = " ".join(str(text or "").split())
    return text if len(text) <= QUOTE_LENGTH else text[: QUOTE_LENGTH - 1] + "…"


def describe(event: AuditEvent, departments: Mapping[str, str] | None = None) -> str:
    """One sentence saying who did what, with names instead of codes."""
    names = departments or {}
    before, after = event.before or {}, event.after or {}
    who = _who(event)

    def department(code: Any) -> str:
        return names.get(str(code), str(code)) if code else gettext("no department")

    match event.action:
        case "question.route":
            count = int(after.get("count") or 1)
            old = before.get("department")
            if old and old != after.get("department"):
                text = gettext("%(who)s moved it from %(old)s to %(new)s") % {
                    "who": who,
                    "old": department(old),
                    "new": department(after.get("department")),
                }
            else:
                text = gettext("%(who)s sent it to %(department)s") % {
                    "who": who,
                    "department": department(after.get("department")),
                }
            if count > 1:
                text += " " + ngettext("(%(num)d submission merged)", "(%(num)d submissions merged)", count) % {
                    "num": count
                }
            return text
        case "question.reject":
            reason = REJECT_REASON_LABELS.get(str(after.get("reason")), "")
            return gettext("%(who)s rejected it: %(reason)s") % {
                "who": who,
                "reason": gettext(reason) if reason else after.get("reason", ""),
            }
        case "question.priority":
            return gettext("%(who)s changed the priority from %(old)s to %(new)s") % {
                "who": who,
                "old": _priority(before.get("priority")),
                "new": _priority(after.get("priority")),
            }
        case "question.edit":
            return gettext("%(who)s edited the wording (before: “%(text)s”)") % {
                "who": who,
                "text": _quote(before.get("text")),
            }
        case "question.merge":
            return gettext("%(who)s merged it into question #%(target)s, which now gathers %(count)s submissions") % {
                "who": who,
                "target": after.get("target_id"),
                "count": after.get("target_count"),
            }
        case "question.split":
            return gettext("%(who)s split submission #%(submission)s off as question #%(new)s") % {
                "who": who,
                "submission": after.get("submission_id"),
                "new": after.get("new_question_id"),
            }
        case "question.undo" if "merged_into" in before:
            restored = after.get("restored_submissions") or []
            return (
                gettext("%(who)s undid the merge into question #%(target)s")
                % {
                    "who": who,
                    "target": before["merged_into"],
                }
                + " "
                + ngettext("(%(num)d submission back)", "(%(num)d submissions back)", len(restored))
                % {"num": len(restored)}
            )
        case "question.undo" if "split_into" in before:
            return gettext("%(who)s undid the split into question #%(new)s") % {"who": who, "new": before["split_into"]}
        case "question.reroute_request":
            return gettext("%(who)s asked to route it elsewhere (suggested: %(department)s)") % {
                "who": who,
                "department": department(after.get("suggested")),
            }
        case "question.reroute_decision":
            if after.get("accepted"):
                return gettext("%(who)s accepted the re-routing to %(department)s") % {
                    "who": who,
                    "department": department(after.get("department")),
                }
            return gettext("%(who)s declined the re-routing request") % {"who": who}
    return f"{who} {action_label(event.action)}"


def raw_record(event: AuditEvent) -> str:
    """The stored record, as an admin checks it: keys as stored, Vietnamese text readable."""
    record: dict[str, Any] = {"action": event.action, "entity": f"{event.entity_type} #{event.entity_id}"}
    record |= {k: v for k, v in (("before", event.before), ("after", event.after), ("note", event.note)) if v}
    return json.dumps(record, ensure_ascii=False, indent=2, sort_keys=False, default=str)

"""Display labels of enum values (message ids; templates translate them with ``_()``)."""

from __future__ import annotations

from qa_app.i18n import N_

ROLE_LABELS = {
    "operator": N_("Operator"),
    "moderator": N_("Moderator"),
    "officer": N_("Department officer"),
    "producer": N_("Producer"),
    "admin": N_("Administrator"),
}

EPISODE_STATUS_LABELS = {
    "draft": N_("Draft"),
    "open": N_("Open for questions"),
    "live": N_("On air"),
    "closed": N_("Closed"),
    "archived": N_("Archived"),
}

QUESTION_STATUS_LABELS = {
    "new": N_("New"),
    "routed": N_("Routed"),
    "answer_review": N_("Answer in review"),
    "ready": N_("Answer ready"),
    "queued": N_("In rundown"),
    "on_air": N_("On air now"),
    "answered_on_air": N_("Answered on air"),
    "answered_in_writing": N_("Answered in writing"),
    "rejected": N_("Not accepted"),
    "merged": N_("Merged"),
}

CHANNEL_LABELS = {
    "web": N_("Web form"),
    "phone": N_("Phone"),
    "email": N_("E-mail"),
    "letter": N_("Letter"),
    "social": N_("Fanpage"),
    "import": N_("Imported file"),
    "api": N_("API"),
    "other": N_("Other"),
}

REJECT_REASON_LABELS = {
    "spam": N_("Spam"),
    "offensive": N_("Offensive"),
    "off_topic": N_("Off topic"),
    "not_a_question": N_("Not a question"),
    "duplicate_rejected": N_("Duplicate of a rejected question"),
    "other": N_("Other reason"),
}

ANSWER_STATUS_LABELS = {
    "draft": N_("Draft"),
    "submitted": N_("Submitted for review"),
    "returned": N_("Returned to the department"),
    "approved": N_("Approved"),
    "published": N_("Published"),
}

IMPORT_FIELD_LABELS = {
    "text": N_("Question"),
    "name": N_("Name"),
    "contact": N_("Phone or e-mail"),
    "ward": N_("Ward or commune"),
    "channel": N_("Channel"),
    "received_at": N_("Received at"),
}

COMMITMENT_STATE_LABELS = {
    "pending": N_("Not yet due"),
    "claimed": N_("Reported kept, awaiting review"),
    "done": N_("Kept"),
    "overdue": N_("Overdue"),
    "dropped": N_("Dropped"),
}

MESSAGE_STATUS_LABELS = {
    "pending": N_("Waiting"),
    "sending": N_("Sending"),
    "sent": N_("Sent"),
    "failed": N_("Failed"),
    "in_doubt": N_("Uncertain (sender stopped mid-send)"),
    "cancelled": N_("Cancelled"),
}

MESSAGE_KIND_LABELS = {
    "answered_on_air": N_("Answered on air"),
    "answer_published": N_("Written answer published"),
    "out_of_scope": N_("Out of scope"),
    "commitment_done": N_("Promise kept"),
    "commitment_dropped": N_("Promise dropped"),
    "commitment_check": N_("Has the promise been kept?"),
}

ALL_LABELS = {
    "commitment_state_labels": COMMITMENT_STATE_LABELS,
    "message_status_labels": MESSAGE_STATUS_LABELS,
    "message_kind_labels": MESSAGE_KIND_LABELS,
    "field_labels": IMPORT_FIELD_LABELS,
    "answer_status_labels": ANSWER_STATUS_LABELS,
    "role_labels": ROLE_LABELS,
    "episode_status_labels": EPISODE_STATUS_LABELS,
    "question_status_labels": QUESTION_STATUS_LABELS,
    "channel_labels": CHANNEL_LABELS,
    "reject_reason_labels": REJECT_REASON_LABELS,
}

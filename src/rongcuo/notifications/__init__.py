"""Notifications (通知): an in-app inbox, and e-mail sent after the change commits by a background worker.

Who is told what is decided here (`recipients`), from the hooks of `rongcuo.cases.hooks` (registered in `apps`):
a case assigned, facts requested of someone, a case's stage changed, a review due soon or overdue, an objection
received, a decision issued. Each notification is a row of the recipient's inbox, written in the transaction of
the change that caused it; its e-mail (unless the recipient switched that kind off, or has no address) is an
`EmailDelivery` row written beside it and sent by the task `tasks.deliver_email`, queued once the transaction
commits, tried again with growing pauses when the mail server fails, and never dropped.
"""

## The website: every word a page shows.
app-name = Redress Refunds
page-skip = Skip to content
page-footer = Refunds go back to the original payment method · review times count business days (China Standard Time)
page-error-title = Something went wrong
page-error-home = Back to the start
page-partial = partial refund
page-auto-decided = decided automatically
page-draft-autosaved = Draft saved automatically ({ $date })
nav-label = Main navigation
nav-orders = My orders
nav-applications = My applications
nav-help = How refunds work
nav-desk = Review desk
nav-logout = Sign out

login-title = Sign in
login-intro = Sign in with your platform account to see your orders, apply for a refund, or review applications.
login-username = Username
login-password = Password
login-submit = Sign in

orders-title = My orders
orders-intro = Your account · the services you bought, how far they were delivered, and what can be refunded.
orders-empty = No orders yet.
order-no = Order number
order-paid = Paid
order-channel = Payment method
order-deadline = Promised by
order-progress = Delivery progress
order-refundable = Refundable
order-apply = Apply for a refund
order-continue-draft = Continue your draft

apply-title = Apply for a refund
apply-entitlement = Your entitlement
apply-max = You can get back up to
apply-reason = Reason
apply-reason-choose = Choose one
apply-amount = Amount (yuan)
apply-amount-hint = The whole refundable amount by default; lower it for a partial refund.
apply-amount-above = This is more than can be refunded.
apply-description = What happened
apply-description-hint = Say what happened: when you ordered, what was promised, and how much was delivered.
apply-submit = Submit application
apply-save = Save draft
apply-delete = Delete draft

apps-title = My applications
apps-empty = No refund applications yet.
app-reason = Reason
app-requested = Requested
app-approved = Approved amount
app-submitted-at = Submitted
app-due = Review due
app-overdue = Overdue
app-decided-at = Decided

detail-number = Application number
detail-appeal-round = Appeal
detail-rejected-because = Rejected because:
detail-info-requested = The reviewer needs more information
detail-supplement-label = Your answer
detail-supplement-submit = Send the information
detail-appeal-title = Disagree with the decision?
detail-appeal-intro = An appeal is reviewed again by a different, senior reviewer.
detail-appeal-label = Why the decision is wrong
detail-appeal-submit = Submit appeal
detail-order = Order
detail-timeline = Progress
detail-withdraw = Withdraw application
detail-withdraw-confirm = Withdraw this application?

help-title = How refunds work
help-steps-title = Four steps
help-step-1 = Sign in and open "My orders" to find the order.
help-step-2 = Choose "Apply for a refund", pick a reason, enter the amount and what happened; you see your entitlement before you submit.
help-step-3 = Keep the application number and follow the review under "My applications"; answer quickly if the reviewer asks for more information.
help-step-4 = Once approved, the money goes back to your WeChat Pay, Alipay or bank card. If you disagree with a rejection, you can appeal.
help-policy-version = Refund policy version { $version }
help-accepted = You accepted this version when you ordered:

desk-title = Review queue
desk-filters = Filters
desk-filter-state = State
desk-filter-reason = Reason
desk-filter-channel = Payment method
desk-filter-min = Minimum amount (yuan)
desk-filter-max = Maximum amount (yuan)
desk-filter-apply = Filter
desk-filter-clear = Clear
desk-any = Any
desk-count = { $count ->
    [one] One on this page
   *[other] { $count } on this page, the one due soonest first
}
desk-col-no = Application
desk-col-state = State
desk-col-reason = Reason
desk-col-amount = Amount
desk-col-channel = Payment method
desk-col-buyer = Buyer
desk-col-due = Review due
desk-empty = Nothing is waiting for review.
desk-reviewer = Reviewer
desk-actions = Actions
desk-claim = Take for review
desk-claimed-by-other = Another reviewer is reviewing this application.
desk-approve = Approve refund
desk-approve-amount = Amount to approve (yuan)
desk-approve-hint = Less than requested makes a partial approval.
desk-reject = Reject
desk-reject-code = Reason for rejection
desk-reject-text = Explanation for the buyer
desk-request-info = Ask for more information
desk-request-info-message = What the buyer should add
desk-no-actions = Nothing can be done in this state.
desk-buyer-words = The buyer's account
desk-no-description = The buyer wrote no description.
desk-policy = Policy version
desk-ledger = Delivery ledger
desk-ledger-empty = No delivery readings yet.
desk-ledger-at = Time
desk-ledger-delivered = Delivered so far
desk-ledger-source = Source

done-saved = Draft saved.
done-submitted = Application submitted. Your application number is { $no }; keep it to follow the review.
done-deleted = Draft deleted.
done-withdraw = Application withdrawn.
done-supplement = Information sent; the reviewer will continue.
done-appeal = Appeal submitted; a senior reviewer will review it again.
done-claim = Taken: you are now reviewing it.
done-request-info = The buyer has been asked for more information.
done-approve = Refund approved.
done-reject = Rejected.

role-buyer = Buyer
role-agent = Support agent
role-reviewer = Reviewer
role-senior_reviewer = Senior reviewer
role-supervisor = Supervisor
role-admin = Administrator
role-system = System

platform-douyin = Douyin
platform-xiaohongshu = Xiaohongshu
platform-kuaishou = Kuaishou
platform-bilibili = Bilibili

source-platform = Platform data
source-third_party = Third-party monitor
source-manual = Entered by staff

# The switcher shows the other language's name, in that language.
lang-other = 中文

files-title = Evidence
files-empty = No files yet.
files-kind = Kind of evidence
files-caption = Caption (optional)
files-choose = Choose a file, or drop it here
files-hint = JPG, PNG or PDF, up to { $size } MB each, at most { $count } per application.
files-hint-mp4 = JPG, PNG, PDF or an MP4 screen recording, up to { $size } MB each, at most { $count } per application.
files-upload = Upload
files-uploading = Uploading…
done-uploaded = File uploaded.
files-system = System-generated
files-system-what = the order, policy clauses and delivery ledger as at submission
files-case-file = Download the case file (ZIP)
files-case-file-what = A report (PDF), every file with its SHA-256, and this case's audit entries, to keep or to hand to a third party.
files-preview-of = Preview of { $name }

## Payouts
payouts-title = Refund payment
payouts-arrived = Arrived { $time }
payouts-expected = Expected by { $time }
payouts-stuck = The payment channel could not pay this refund. Staff will route it another way and contact you.
payouts-reason = The channel said:
payouts-attempts = { $count ->
    [one] One exchange with the channel so far
   *[other] { $count } exchanges with the channel so far
}
desk-retry-refund = Send the refund again
desk-retry-refund-hint = A new payment goes to the channel with a new refund number; the failed one stays on record.
desk-retry-blocked = The last refund cannot reach the payer's account at the channel (not ended: the channel may still pay it). Sending another could pay twice: route this one another way, then record it paid another way.
desk-refund-in-flight = A refund of this application is on its way at the channel. Wait for its answer before doing anything else here.
desk-paid-twice = The channel paid this refund after it was recorded as paid another way: the buyer has been paid twice. Recover the extra payment and note how on the case.
desk-settle-outside = Record as paid another way
desk-settle-outside-note = How it was paid (kept in the audit trail)
pager-label = Pages
pager-next = Next page
pager-first = Back to the first page
desk-search = Find an application
desk-search-by = Search by
desk-search-no = Application number
desk-search-order = Order number
desk-search-buyer = Buyer
desk-search-value = Number or name
desk-search-go = Search
desk-search-title = Search results
desk-filter-assignee = Held by (username)
desk-sort-amount = Sorted by amount asked for, smallest first.
desk-search-none = No application matches.

## Notification centre
nav-notifications = Notifications
notifications-unread = { $count } unread
notifications-title = Notifications
notifications-empty = Nothing yet. You will be told here when something happens to your applications.
notifications-read-all = Mark all read
notifications-new = New
notifications-open = Open
awaiting-title = Waiting for you
awaiting-draft = Finish and submit your draft
awaiting-info = Answer the reviewer's question
mail-prefs-title = E-mail
mail-prefs-to = Notifications are e-mailed to
mail-prefs-none = No e-mail address is on record for you, so nothing is e-mailed.
mail-prefs-optional = Also e-mail me receipts and progress (application received, review started)
mail-prefs-always = Decisions, requests for information and refunds are always e-mailed.
mail-prefs-save = Save
done-preferences = Your e-mail choice is saved.

admin-hooks-title = Webhooks
admin-hooks-intro = The merchant system's endpoints and each one's delivery log. Register and change them with "redress admin webhook" or the merchant API.
admin-hooks-none = No webhook endpoint is registered.
admin-hook-id = Endpoint
admin-hook-url = Address
admin-hook-events = Events
admin-hook-state = State
admin-hook-failing = Failing since
admin-hook-enabled = Enabled
admin-hook-disabled = Disabled
admin-hook-disabled-gone = (it answered 410 Gone)
admin-hook-disabled-failing = (five days without a success)
admin-hook-disabled-manual = (disabled by hand)
admin-hook-log = Delivery log of
admin-hook-log-empty = Nothing has been sent to this endpoint yet.
admin-hook-at = Time
admin-hook-type = Type
admin-hook-message = Message (webhook-id)
admin-hook-attempt = Attempt
admin-hook-status = Status
admin-hook-latency = Took
admin-hook-answer = Answer (first 1 KB) or error
time-zone-note = Times are Beijing time.
admin-mail-title = Undelivered e-mail
admin-mail-intro = E-mails the mail server refused, or that could not be sent after every retry, the latest first.
admin-mail-none = Every e-mail was delivered.
admin-mail-at = Failed at
admin-mail-to = Recipient
admin-mail-about = Application
admin-mail-error = The server's answer
nav-admin = Administration

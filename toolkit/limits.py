"""The email's limits: what mail clients and the RFCs allow, defined once.

The build warns, `notice check` reports and the preview's size bar measures against these same
numbers. The figures and their sources are in shared/email-facts.md.
"""

from __future__ import annotations

#: Gmail clips HTML over 102 KB, hiding the footer and its unsubscribe link (MJML #356).
GMAIL_CLIP_KB = 102
GMAIL_CLIP_BYTES = GMAIL_CLIP_KB * 1024
#: Warn before the clip: a correction's errata, added later, make the issue longer.
NEAR_CLIP_BYTES = 90 * 1024
#: Gmail drops a <style> block over 16 KB (caniemail, html-style).
STYLE_BYTES = 16 * 1024
#: Preview text: clients show roughly 40–140 characters; react-email advises under 90
#: (react.email/docs/components/preview). Counted in display columns, so a full-width
#: character counts two.
PREHEADER_COLUMNS = 90
#: Subjects: Outlook.com shows 60 characters, Gmail on the desktop 70, phones 30–40
#: (theorchardagency.com.au, "Subject line length and open rates"); Japanese PC mail shows
#: 25–35 full-width characters (sts-d.com, メルマガの件名の書き方). 60 display columns is
#: 60 Latin characters or 30 full-width ones.
SUBJECT_COLUMNS = 60
#: RFC 5322 2.1.1: a line MUST be at most 998 octets, CRLF excluded.
MAX_LINE = 998
#: The email's layout (templates/email.html and email.css use these numbers): a 600 px column
#: (shared/email-facts.md), its text padded 32 px each side, so an image is at most 536 px wide.
EMAIL_WIDTH = 600
CONTENT_PADDING = 32
CONTENT_WIDTH = EMAIL_WIDTH - 2 * CONTENT_PADDING
#: Images: `notice check` warns about one over [images] max_kb (default 200), and about an email
#: whose images add up to more than 1 MB, slow on a phone's connection (issue 11).
IMAGE_KB = 200
#: The largest image file a build reads at all (a camera's original is a few MB).
IMAGE_MAX_BYTES = 20 * 1024 * 1024
EMAIL_IMAGES_KB = 1024

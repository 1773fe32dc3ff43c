"""Arabic date formats that Django's Arabic locale lacks (the rest comes from Django's).

Without DATETIME_FORMAT, datetimes fell back to the American "N j, Y, P" ("ديسمبر 14, 2026").
Families in Germany read times on the 24-hour clock, as the letters and the Kita use them.
"""

TIME_FORMAT = "H:i"
DATETIME_FORMAT = "j F Y، H:i"
SHORT_DATETIME_FORMAT = "d‏/m‏/Y، H:i"

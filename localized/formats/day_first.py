"""What the four languages' Django format modules share: day-first input in every language, a 24-hour clock and
Monday first, as in Europe (Collect's organizations are European). Each language module only names its separator.

Pages use the `localized` filters for country-specific forms; these cover anything left to Django.
"""

TIME_FORMAT = "H:i"
DATE_INPUT_FORMATS = ["%d-%m-%Y", "%d/%m/%Y", "%d.%m.%Y", "%Y-%m-%d"]
DATETIME_INPUT_FORMATS = ["%d-%m-%Y %H:%M", "%d/%m/%Y %H:%M", "%d.%m.%Y %H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M"]
FIRST_DAY_OF_WEEK = 1

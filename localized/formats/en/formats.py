# Django's date rendering for this language. Django reads every format from this module, so the shared ones
# (localized/formats/day_first.py) are imported here.
from localized.formats.day_first import (  # noqa: F401
    DATE_INPUT_FORMATS,
    DATETIME_INPUT_FORMATS,
    FIRST_DAY_OF_WEEK,
    TIME_FORMAT,
)

DATE_FORMAT = SHORT_DATE_FORMAT = "d/m/Y"
DATETIME_FORMAT = SHORT_DATETIME_FORMAT = "d/m/Y H:i"

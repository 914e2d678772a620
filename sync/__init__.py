"""Moving workbooks between working copies and a document library, and the month's cycle."""

import logging

# A library stays quiet unless the application configures logging (the CLI does: sync.logs).
logging.getLogger("tomsync").addHandler(logging.NullHandler())

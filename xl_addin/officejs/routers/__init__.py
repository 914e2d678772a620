"""Extra routes of the TOM add-in (xlwings Server loads ``routers.custom``)."""

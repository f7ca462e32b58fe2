#!/bin/sh
# Prints what it was asked for, and what it finds in /data (mounted by the workflow).
echo "report ${APP_VERSION} for ${TARGET:-nobody}: $*"
ls /data 2>/dev/null | head -5

print("auto-i18n-ops")

package webview

// interruptReason says in a few words why WebView2 stopped a download
// (COREWEBVIEW2_DOWNLOAD_INTERRUPT_REASON).
func interruptReason(code int32) string {
	switch {
	case code == 3:
		return "the disk is full"
	case code == 2:
		return "the file could not be written (access denied)"
	case code == 6 || code == 8 || code == 9:
		return "Windows blocked the file"
	case code >= 1 && code <= 11:
		return "the file could not be written"
	case code >= 12 && code <= 16:
		return "the connection failed"
	case code >= 17 && code <= 25:
		return "the server did not send the file"
	case code >= 26 && code <= 28:
		return "it was cancelled"
	case code == 29:
		return "the download process crashed"
	}
	return "it was interrupted"
}

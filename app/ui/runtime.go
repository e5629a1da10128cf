package ui

// Runtime is everything the service asks of the window system. The Wails
// implementation is in wails.go; tests use a fake.
type Runtime interface {
	Emit(event string, data any)
	ChooseFolder(title, start string) (string, error)
	OpenBrowser(url string)
	Navigate(url string) // the main window goes to url
	ShowLauncher()       // the main window goes back to our own page
	Raise()              // bring the window forward (a second launch)
	Quit()
}

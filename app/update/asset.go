package update

import (
	"fmt"

	"golang.org/x/mod/semver"
)

// Target is what decides which file of a release this copy of the app may
// install: its platform and how it was installed.
type Target struct {
	OS, Arch string
	Install  Install
}

// AssetName is the one file of release version that fits t, or "" when no
// file can update this install (a bare binary on macOS, say). The name
// carries the version, and checksums.txt is signed over names, so an old
// signed build re-published under a higher tag is never taken for it.
func AssetName(version string, t Target) string {
	switch t.Install.Kind {
	case KindPackage:
		switch t.Install.Package {
		case PackageDeb:
			return fmt.Sprintf("neurodeskapp_%s_%s.deb", version, t.Arch)
		case PackageRPM:
			return fmt.Sprintf("neurodeskapp-%s-1.%s.rpm", version, rpmArch(t.Arch))
		}
		return ""
	case KindAppImage:
		return fmt.Sprintf("neurodeskapp_%s_linux_%s.AppImage", version, t.Arch)
	case KindMacBundle, KindMacReadOnly: // the offer shows; Blocked says to move it first
		return fmt.Sprintf("neurodeskapp_%s_darwin_%s.zip", version, t.Arch)
	case KindWindowsUser:
		return fmt.Sprintf("neurodeskapp_%s_windows_%s.zip", version, t.Arch)
	case KindBinary:
		switch t.OS {
		case "linux":
			return fmt.Sprintf("neurodeskapp_%s_linux_%s.tar.gz", version, t.Arch)
		case "windows":
			return fmt.Sprintf("neurodeskapp_%s_windows_%s.zip", version, t.Arch)
		}
	}
	return ""
}

func rpmArch(goarch string) string {
	switch goarch {
	case "amd64":
		return "x86_64"
	case "arm64":
		return "aarch64"
	}
	return goarch
}

// canonical returns v as "vMAJOR.MINOR.PATCH[-pre]" or "" when it is not
// semantic versioning (a tag such as "nightly", a dev build's "dev").
func canonical(v string) string {
	if v == "" {
		return ""
	}
	if v[0] != 'v' {
		v = "v" + v
	}
	if !semver.IsValid(v) {
		return ""
	}
	// x/mod accepts "v1" and "v1.2"; releases must say all three numbers.
	if c := semver.Canonical(v); c != v && c+semver.Build(v) != v {
		return ""
	}
	return v
}

// IsDevBuild reports whether version is not a release's: not semantic
// versioning, or a "-dev" build. Updates are off for those.
func IsDevBuild(version string) bool {
	c := canonical(version)
	return c == "" || semver.Prerelease(c) == "-dev"
}

// Package update keeps the app itself current: it finds a newer release,
// picks the one file that fits this install, downloads it, verifies it
// against the release's checksums.txt and that file's ECDSA signature (the
// public key is built in), and only then replaces the app, in the way that
// suits how it was installed.
package update

import (
	"context"
	"crypto/ecdsa"
	_ "embed"
	"errors"
	"fmt"
	"net/http"
	"runtime"
	"strings"

	"golang.org/x/mod/semver"

	"github.com/neurodesk/neurodeskapp/app/problem"
)

// ReleaseKey verifies checksums.txt.sig; RELEASING.md says how to replace it.
//
//go:embed release-signing.pub.pem
var ReleaseKey []byte

// DefaultRepo is where releases are published.
const DefaultRepo = "NeuroDesk/neurodesk-app"

// Config says where to look and what to trust.
type Config struct {
	Repo       string // owner/name
	APIBaseURL string // GitHub API base (for GitHub Enterprise or tests); "" is api.github.com
	PublicKey  []byte // PEM "PUBLIC KEY"; nil means ReleaseKey
	OS, Arch   string // default: this machine
	Prerelease bool
	HTTP       *http.Client // default: http.DefaultClient
}

// Release is a newer version on offer, with the one file for this install.
type Release struct {
	Version   string `json:"version"`
	Notes     string `json:"notes"`
	URL       string `json:"url"` // the release page, for a manual download
	AssetName string `json:"asset"`
	AssetURL  string `json:"asset_url"` // a browser download address
	Size      int    `json:"size"`
	asset     ghAsset
	sums, sig ghAsset
}

// Updater checks, downloads and applies updates.
type Updater struct {
	cfg Config
	key *ecdsa.PublicKey
	gh  github
}

// New builds an Updater. Only files listed in a checksums.txt signed by the
// key are ever installed.
func New(cfg Config) (*Updater, error) {
	if cfg.Repo == "" {
		cfg.Repo = DefaultRepo
	}
	if cfg.PublicKey == nil {
		cfg.PublicKey = ReleaseKey
	}
	if cfg.OS == "" {
		cfg.OS, cfg.Arch = runtime.GOOS, runtime.GOARCH
	}
	if cfg.HTTP == nil {
		cfg.HTTP = http.DefaultClient
	}
	base := cfg.APIBaseURL
	if base == "" {
		base = "https://api.github.com/"
	}
	if !strings.HasSuffix(base, "/") {
		base += "/"
	}
	key, err := parseKey(cfg.PublicKey)
	if err != nil {
		return nil, err
	}
	return &Updater{cfg: cfg, key: key, gh: github{base: base, repo: cfg.Repo, http: cfg.HTTP}}, nil
}

// Target is this machine with the given install.
func (u *Updater) Target(inst Install) Target {
	return Target{OS: u.cfg.OS, Arch: u.cfg.Arch, Install: inst}
}

// Check returns the newest release newer than current that carries this
// install's file and the files that vouch for it. Being offline is an error
// the caller may ignore; it never blocks a start. A development build
// (current is not a release version) is told that updates are off.
func (u *Updater) Check(ctx context.Context, current string, inst Install) (Release, bool, error) {
	if IsDevBuild(current) {
		return Release{}, false, &problem.Error{Code: problem.UpdatesOff,
			Message: fmt.Sprintf("Updates are off for development builds (this is version %q)", current),
			Remedy:  "Install a release from " + "https://github.com/" + u.cfg.Repo + "/releases to get updates."}
	}
	cur := canonical(current)
	rels, err := u.gh.releases(ctx)
	if err != nil {
		return Release{}, false, fmt.Errorf("check for updates: %w", err)
	}
	var best Release
	bestV := cur
	for _, r := range rels {
		v := canonical(r.Tag)
		if r.Draft || v == "" || (r.Prerelease || semver.Prerelease(v) != "") && !u.cfg.Prerelease || semver.Compare(v, bestV) <= 0 {
			continue
		}
		version := strings.TrimPrefix(v, "v")
		name := AssetName(version, u.Target(inst))
		a, ok := r.asset(name)
		sums, okSums := r.asset(checksumsName)
		sig, okSig := r.asset(signatureName)
		if name == "" || !ok || !okSums || !okSig {
			continue // nothing this install can verify and use
		}
		best, bestV = Release{Version: version, Notes: r.Body, URL: r.HTMLURL, AssetName: name, AssetURL: a.DownloadURL,
			Size: int(a.Size), asset: a, sums: sums, sig: sig}, v
	}
	return best, best.Version != "", nil
}

// Download fetches the release's file and verifies it: checksums.txt
// against its signature, the file against checksums.txt. Anything that
// does not verify is an error and nothing is returned.
func (u *Updater) Download(ctx context.Context, r Release, progress func(done, total int64)) ([]byte, error) {
	if r.asset.URL == "" {
		return nil, errors.New("download update: no release")
	}
	sums, err := u.gh.download(ctx, r.sums, nil)
	if err != nil {
		return nil, fmt.Errorf("download update: %w", err)
	}
	sig, err := u.gh.download(ctx, r.sig, nil)
	if err != nil {
		return nil, fmt.Errorf("download update: %w", err)
	}
	data, err := u.gh.download(ctx, r.asset, progress)
	if err != nil {
		return nil, fmt.Errorf("download update: %w", err)
	}
	if err := verify(u.key, r.AssetName, data, sums, sig); err != nil {
		return nil, rejected(r, err)
	}
	return data, nil
}

func rejected(r Release, err error) error {
	return &problem.Error{Code: problem.UpdateRejected, Message: fmt.Sprintf("The download of version %s did not verify and was discarded", r.Version),
		Remedy: "Nothing was changed. Try again later, or download the release from its page.", Err: err}
}

// Package update keeps the app itself current: it finds a newer release,
// downloads it, verifies it against the release's checksums.txt and that
// file's ECDSA signature (the public key is built in), and only then
// replaces the app, in the way that suits how it was installed.
package update

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/x509"
	_ "embed"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"runtime"

	"github.com/creativeprojects/go-selfupdate"

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
	APIBaseURL string // GitHub API base (for GitHub Enterprise or tests); "" is github.com
	PublicKey  []byte // PEM "PUBLIC KEY"; nil means ReleaseKey
	OS, Arch   string // default: this machine
	Prerelease bool
}

// Release is a newer version on offer.
type Release struct {
	Version   string `json:"version"`
	Notes     string `json:"notes"`
	URL       string `json:"url"` // the release page, for a manual download
	AssetName string `json:"asset"`
	Size      int    `json:"size"`
	rel       *selfupdate.Release
}

// Updater checks, downloads and applies updates.
type Updater struct {
	cfg       Config
	source    selfupdate.Source
	validator selfupdate.Validator
	up        *selfupdate.Updater
}

// New builds an Updater. Only releases whose assets are listed in a
// checksums.txt signed by the key are ever offered.
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
	key, err := parseKey(cfg.PublicKey)
	if err != nil {
		return nil, err
	}
	src, err := selfupdate.NewGitHubSource(selfupdate.GitHubConfig{EnterpriseBaseURL: cfg.APIBaseURL})
	if err != nil {
		return nil, fmt.Errorf("update source: %w", err)
	}
	validator := new(selfupdate.PatternValidator).
		Add("checksums.txt", &selfupdate.ECDSAValidator{PublicKey: key}).
		Add("*", &selfupdate.ChecksumValidator{UniqueFilename: "checksums.txt"}).
		SkipValidation("*.sig")
	up, err := selfupdate.NewUpdater(selfupdate.Config{Source: src, Validator: validator, OS: cfg.OS, Arch: cfg.Arch,
		Prerelease: cfg.Prerelease, Filters: []string{`^neurodeskapp_`}})
	if err != nil {
		return nil, fmt.Errorf("updater: %w", err)
	}
	return &Updater{cfg: cfg, source: src, validator: validator, up: up}, nil
}

func parseKey(pemData []byte) (*ecdsa.PublicKey, error) {
	block, _ := pem.Decode(pemData)
	if block == nil {
		return nil, errors.New("release key: no PEM block")
	}
	k, err := x509.ParsePKIXPublicKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("release key: %w", err)
	}
	ek, ok := k.(*ecdsa.PublicKey)
	if !ok {
		return nil, errors.New("release key: not an ECDSA key")
	}
	return ek, nil
}

// Check returns the newest release if it is newer than current. Being
// offline is an error the caller may ignore; it never blocks a start.
func (u *Updater) Check(ctx context.Context, current string) (Release, bool, error) {
	rel, found, err := u.up.DetectLatest(ctx, selfupdate.ParseSlug(u.cfg.Repo))
	if err != nil {
		return Release{}, false, fmt.Errorf("check for updates: %w", err)
	}
	if !found || !rel.GreaterThan(current) {
		return Release{}, false, nil
	}
	return Release{Version: rel.Version(), Notes: rel.ReleaseNotes, URL: rel.URL, AssetName: rel.AssetName, Size: rel.AssetByteSize, rel: rel}, true, nil
}

// Download fetches the release's asset and verifies it: the asset against
// checksums.txt, checksums.txt against its signature. Anything that does
// not verify is an error and nothing is returned.
func (u *Updater) Download(ctx context.Context, r Release, progress func(done, total int64)) ([]byte, error) {
	if r.rel == nil {
		return nil, errors.New("download update: no release")
	}
	data, err := u.fetch(ctx, r.rel, r.rel.AssetID, int64(r.Size), progress)
	if err != nil {
		return nil, err
	}
	if len(r.rel.ValidationChain) == 0 {
		return nil, rejected(r, errors.New("the release has no checksums.txt"))
	}
	name := r.rel.AssetName
	checked := data
	for _, va := range r.rel.ValidationChain {
		proof, err := u.fetch(ctx, r.rel, va.ValidationAssetID, 0, nil)
		if err != nil {
			return nil, err
		}
		if err := u.validator.Validate(name, checked, proof); err != nil {
			return nil, rejected(r, fmt.Errorf("%s: %w", name, err))
		}
		name, checked = va.ValidationAssetName, proof
	}
	return data, nil
}

func rejected(r Release, err error) error {
	return &problem.Error{Code: problem.UpdateRejected, Message: fmt.Sprintf("The download of version %s did not verify and was discarded", r.Version),
		Remedy: "Nothing was changed. Try again later, or download the release from its page.", Err: err}
}

func (u *Updater) fetch(ctx context.Context, rel *selfupdate.Release, id, total int64, progress func(done, total int64)) ([]byte, error) {
	rc, err := u.source.DownloadReleaseAsset(ctx, rel, id)
	if err != nil {
		return nil, fmt.Errorf("download update: %w", err)
	}
	defer rc.Close()
	var buf bytes.Buffer
	var r io.Reader = rc
	if progress != nil {
		r = &counter{r: rc, total: total, progress: progress}
	}
	if _, err := io.Copy(&buf, r); err != nil {
		return nil, fmt.Errorf("download update: %w", err)
	}
	return buf.Bytes(), nil
}

type counter struct {
	r        io.Reader
	done     int64
	total    int64
	progress func(done, total int64)
}

func (c *counter) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.done += int64(n)
	c.progress(c.done, c.total)
	return n, err
}

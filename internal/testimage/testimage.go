// Package testimage builds the stand-in Neurodesktop image in memory: the
// standin program as start.sh, stat and chown, plus an optional layer of
// random bytes so that pulls take long enough to report progress.
package testimage

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"time"
)

// Blob is content addressed by its sha256 digest.
type Blob struct {
	Digest    string
	MediaType string
	Data      []byte
}

// TestLabel is on every image this package makes.
const TestLabel = "org.neurodesk.app.test-image"

// Image is ready to serve: manifest, config and layers.
type Image struct {
	Manifest []byte
	Config   Blob
	Layers   []Blob
}

// Options shape the image.
type Options struct {
	Env         []string // added to the image config, e.g. STANDIN_EXIT=3
	PaddingSize int      // bytes of incompressible data in a second layer
}

// BuildStandin compiles the standin program statically into dir and returns
// the binary's path. moduleRoot is the repository root.
func BuildStandin(moduleRoot, dir string) (string, error) {
	out := filepath.Join(dir, "standin")
	cmd := exec.Command("go", "build", "-trimpath", "-ldflags=-s -w", "-o", out, "./internal/standin")
	cmd.Dir = moduleRoot
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+runtime.GOARCH)
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("build standin: %v\n%s", err, b)
	}
	return out, nil
}

// Build makes the image around the standin binary at binPath.
func Build(binPath string, o Options) (Image, error) {
	bin, err := os.ReadFile(binPath)
	if err != nil {
		return Image{}, fmt.Errorf("read standin: %w", err)
	}
	base, baseDiff, err := layer(func(tw *tar.Writer) error { return baseFiles(tw, bin) })
	if err != nil {
		return Image{}, err
	}
	layers, diffs := []Blob{base}, []string{baseDiff}
	if o.PaddingSize > 0 {
		pad := make([]byte, o.PaddingSize)
		if _, err := rand.Read(pad); err != nil {
			return Image{}, err
		}
		l, d, err := layer(func(tw *tar.Writer) error {
			return file(tw, "opt/padding.bin", 0o644, 0, 0, pad)
		})
		if err != nil {
			return Image{}, err
		}
		layers, diffs = append(layers, l), append(diffs, d)
	}
	cfg := map[string]any{
		"architecture": runtime.GOARCH,
		"os":           "linux",
		"created":      time.Now().UTC().Format(time.RFC3339),
		"config": map[string]any{
			"Env":        append([]string{"PATH=/usr/local/bin:/usr/bin:/bin"}, o.Env...),
			"WorkingDir": "/",
			// Marks a test's image: one left under a real name by a test
			// that died may be removed by the next.
			"Labels": map[string]string{TestLabel: "true"},
		},
		"rootfs": map[string]any{"type": "layers", "diff_ids": diffs},
	}
	cfgData, err := json.Marshal(cfg)
	if err != nil {
		return Image{}, err
	}
	config := blob("application/vnd.docker.container.image.v1+json", cfgData)
	desc := func(b Blob) map[string]any {
		return map[string]any{"mediaType": b.MediaType, "size": len(b.Data), "digest": b.Digest}
	}
	var ls []map[string]any
	for _, l := range layers {
		ls = append(ls, desc(l))
	}
	manifest, err := json.Marshal(map[string]any{
		"schemaVersion": 2,
		"mediaType":     "application/vnd.docker.distribution.manifest.v2+json",
		"config":        desc(config),
		"layers":        ls,
	})
	if err != nil {
		return Image{}, err
	}
	return Image{Manifest: manifest, Config: config, Layers: layers}, nil
}

func blob(mediaType string, data []byte) Blob {
	return Blob{Digest: fmt.Sprintf("sha256:%x", sha256.Sum256(data)), MediaType: mediaType, Data: data}
}

// layer returns the gzipped tar and the digest of the uncompressed tar.
func layer(fill func(*tar.Writer) error) (Blob, string, error) {
	var raw bytes.Buffer
	tw := tar.NewWriter(&raw)
	if err := fill(tw); err != nil {
		return Blob{}, "", err
	}
	if err := tw.Close(); err != nil {
		return Blob{}, "", err
	}
	diff := fmt.Sprintf("sha256:%x", sha256.Sum256(raw.Bytes()))
	var gz bytes.Buffer
	zw, err := gzip.NewWriterLevel(&gz, gzip.BestSpeed)
	if err != nil {
		return Blob{}, "", err
	}
	if _, err := zw.Write(raw.Bytes()); err != nil {
		return Blob{}, "", err
	}
	if err := zw.Close(); err != nil {
		return Blob{}, "", err
	}
	return blob("application/vnd.docker.image.rootfs.diff.tar.gzip", gz.Bytes()), diff, nil
}

func baseFiles(tw *tar.Writer, bin []byte) error {
	dirs := []struct {
		name     string
		mode     int64
		uid, gid int
	}{
		{"usr/", 0o755, 0, 0}, {"usr/local/", 0o755, 0, 0}, {"usr/local/bin/", 0o755, 0, 0},
		{"tmp/", 0o1777, 0, 0}, {"home/", 0o755, 0, 0}, {"home/jovyan/", 0o755, 1000, 100},
		{"neurodesktop-storage/", 0o755, 0, 0}, {"etc/", 0o755, 0, 0},
	}
	for _, d := range dirs {
		h := &tar.Header{Typeflag: tar.TypeDir, Name: d.name, Mode: d.mode, Uid: d.uid, Gid: d.gid, ModTime: time.Unix(0, 0)}
		if err := tw.WriteHeader(h); err != nil {
			return err
		}
	}
	if err := file(tw, "home/jovyan/.bashrc", 0o644, 1000, 100, []byte("# stand-in home\n")); err != nil {
		return err
	}
	if err := file(tw, "etc/passwd", 0o644, 0, 0, []byte("root:x:0:0:root:/root:/bin/sh\njovyan:x:1000:100::/home/jovyan:/bin/sh\n")); err != nil {
		return err
	}
	if err := file(tw, "usr/local/bin/start.sh", 0o755, 0, 0, bin); err != nil {
		return err
	}
	for _, name := range []string{"stat", "chown"} {
		h := &tar.Header{Typeflag: tar.TypeSymlink, Name: "usr/local/bin/" + name, Linkname: "start.sh", Mode: 0o777, ModTime: time.Unix(0, 0)}
		if err := tw.WriteHeader(h); err != nil {
			return err
		}
	}
	return nil
}

func file(tw *tar.Writer, name string, mode int64, uid, gid int, data []byte) error {
	h := &tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: mode, Uid: uid, Gid: gid, Size: int64(len(data)), ModTime: time.Unix(0, 0)}
	if err := tw.WriteHeader(h); err != nil {
		return err
	}
	_, err := tw.Write(data)
	return err
}

// DigestOf returns the sha256 digest of data in registry form.
func DigestOf(data []byte) string { return fmt.Sprintf("sha256:%x", sha256.Sum256(data)) }

// Package lambdabuild builds a Go Lambda function reproducibly from source:
// a `bootstrap` binary for the provided.al2023 runtime on arm64, packed in a
// zip whose bytes depend only on the source and the Go toolchain.
//
// The build runs
//
//	GOOS=linux GOARCH=arm64 CGO_ENABLED=0 GOWORK=off \
//	go build -trimpath -buildvcs=false -tags lambda.norpc \
//	         -ldflags "-s -w -buildid=" -o bootstrap <pkg>
//
// and writes a zip with one entry, "bootstrap", mode 0755, modified
// 1980-01-01T00:00:00Z, deflated. Same source, same toolchain: same zip
// bytes, same SHA-256, so `pulumi preview` shows no code change unless the
// code changed.
//
// Cache: the zip is stored as <cache>/<key>.zip, its digest next to it as
// <key>.zip.sha256 (a cache hit reads that instead of hashing the zip),
// where key is a SHA-256 over the toolchain (go env GOVERSION, GOFLAGS,
// GOEXPERIMENT, GOARM64; asked once per BuildAll), this recipe, the package path, go.mod, go.sum and every source file (path and
// content, sorted) of every package of the module the function imports.
// Those packages are found by reading the import declarations of the
// module's own packages for the target platform and tags (go/build), with
// `go list -deps` only for layouts that cannot be decided that way (see
// builder.scanSources). A cache hit skips the compilation, so previews and
// tests do not rebuild. The cache directory is $FINTECH_LAMBDA_CACHE, or
// <os.UserCacheDir()>/fintech-resilience/lambda.
package lambdabuild

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// CacheEnv names the environment variable that overrides the cache directory.
const CacheEnv = "FINTECH_LAMBDA_CACHE"

// EntryName is the single file of the zip: the provided.al2023 runtime runs it.
const EntryName = "bootstrap"

// EntryMode is the permission of the bootstrap entry.
const EntryMode fs.FileMode = 0o755

// ZipTime is the fixed modification time of the entry (the zip epoch).
var ZipTime = time.Date(1980, time.January, 1, 0, 0, 0, 0, time.UTC)

// recipe identifies the build recipe in the cache key; change it whenever
// the flags or the zip layout change.
const recipe = "lambdabuild/v1 GOOS=linux GOARCH=arm64 CGO_ENABLED=0 -trimpath -buildvcs=false -tags lambda.norpc -ldflags=-s -w -buildid= zip:bootstrap:0755:1980-01-01:deflate"

// Artifact is a built function.
type Artifact struct {
	// ZipPath is the deployment package (pulumi.NewFileArchive(ZipPath)).
	ZipPath string
	// SHA256Base64 is the base64 SHA-256 of the zip, the format of the
	// Lambda sourceCodeHash / CodeSha256.
	SHA256Base64 string
}

// Options tune a build.
type Options struct {
	// CacheDir overrides $FINTECH_LAMBDA_CACHE and the user cache directory.
	CacheDir string
	// Rebuild compiles even when the cache holds the zip, and replaces it.
	Rebuild bool
	// GoBin is the go command (default "go" from PATH).
	GoBin string
}

// Build builds pkg (a path relative to moduleRoot such as "./functions/isolate")
// with the default options.
func Build(moduleRoot, pkg string) (Artifact, error) {
	return BuildWith(moduleRoot, pkg, Options{})
}

// BuildWith builds pkg with opts.
func BuildWith(moduleRoot, pkg string, opts Options) (Artifact, error) {
	b, err := newBuilder(moduleRoot, pkg, opts)
	if err != nil {
		return Artifact{}, err
	}
	return b.run()
}

// BuildAll builds every package of pkgs (as Build does) and returns their
// artifacts in the same order. It asks the go command for the toolchain
// settings once for all of them and looks them up or builds them
// concurrently, so a component with several functions pays one `go env`.
func BuildAll(moduleRoot string, pkgs []string, opts Options) ([]Artifact, error) {
	builders := make([]*builder, len(pkgs))
	for i, pkg := range pkgs {
		b, err := newBuilder(moduleRoot, pkg, opts)
		if err != nil {
			return nil, err
		}
		builders[i] = b
	}
	if len(builders) == 0 {
		return nil, nil
	}
	env, err := builders[0].toolchain()
	if err != nil {
		return nil, err
	}
	arts := make([]Artifact, len(builders))
	errs := make([]error, len(builders))
	var wg sync.WaitGroup
	for i, b := range builders {
		b.toolEnv = env
		wg.Add(1)
		go func() {
			defer wg.Done()
			arts[i], errs[i] = b.run()
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return arts, nil
}

type builder struct {
	root    string // absolute module root
	pkg     string // ./relative package path
	opts    Options
	cache   string
	compile func(outDir string) (string, error) // returns the binary path
	// toolEnv holds the go env values of keyVars when they are already
	// known (BuildAll); nil means ask the go command.
	toolEnv map[string]string
}

func newBuilder(moduleRoot, pkg string, opts Options) (*builder, error) {
	clean, err := cleanPkg(pkg)
	if err != nil {
		return nil, err
	}
	if moduleRoot == "" {
		moduleRoot = "."
	}
	root, err := filepath.Abs(moduleRoot)
	if err != nil {
		return nil, fmt.Errorf("lambda %s: module root %q: %w", pkg, moduleRoot, err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		return nil, fmt.Errorf("lambda %s: module root %s has no go.mod: %w", pkg, root, err)
	}
	if opts.GoBin == "" {
		opts.GoBin = "go"
	}
	cache, err := cacheDir(opts.CacheDir)
	if err != nil {
		return nil, fmt.Errorf("lambda %s: %w", pkg, err)
	}
	b := &builder{root: root, pkg: clean, opts: opts, cache: cache}
	b.compile = b.goBuild
	return b, nil
}

// cleanPkg accepts a relative package directory inside the module.
func cleanPkg(pkg string) (string, error) {
	if pkg == "" {
		return "", errors.New("lambda: package path is empty")
	}
	if filepath.IsAbs(pkg) || strings.Contains(pkg, "...") {
		return "", fmt.Errorf("lambda %s: give one package as a path relative to the module root, e.g. ./functions/isolate", pkg)
	}
	c := filepath.ToSlash(filepath.Clean(pkg))
	if c == ".." || strings.HasPrefix(c, "../") {
		return "", fmt.Errorf("lambda %s: package is outside the module root", pkg)
	}
	if c == "." {
		return "./", nil
	}
	return "./" + c, nil
}

func cacheDir(override string) (string, error) {
	if override != "" {
		return override, nil
	}
	if env := os.Getenv(CacheEnv); env != "" {
		return env, nil
	}
	base, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("no cache directory (set %s): %w", CacheEnv, err)
	}
	return filepath.Join(base, "fintech-resilience", "lambda"), nil
}

func (b *builder) env() []string {
	return append(os.Environ(), "GOOS="+targetOS, "GOARCH="+targetArch, "CGO_ENABLED=0", "GOWORK=off")
}

// goCmd runs the go command in the module root and returns stdout; on
// failure the error carries the (trimmed) combined output.
func (b *builder) goCmd(args ...string) ([]byte, error) {
	cmd := exec.Command(b.opts.GoBin, args...)
	cmd.Dir = b.root
	cmd.Env = b.env()
	var stdout, stderr bytes.Buffer
	cmd.Stdout = &stdout
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		out := trim(stderr.String() + stdout.String())
		return nil, fmt.Errorf("lambda %s: go %s: %w\n%s", b.pkg, args[0], err, out)
	}
	return stdout.Bytes(), nil
}

// trim keeps the output readable in an error: at most 40 lines and 4 KiB.
func trim(s string) string {
	s = strings.TrimSpace(s)
	const maxLines, maxBytes = 40, 4096
	lines := strings.Split(s, "\n")
	if len(lines) > maxLines {
		lines = append(lines[:maxLines], fmt.Sprintf("... (%d more lines)", len(lines)-maxLines))
	}
	s = strings.Join(lines, "\n")
	if len(s) > maxBytes {
		s = s[:maxBytes] + "... (truncated)"
	}
	return s
}

func (b *builder) run() (Artifact, error) {
	key, err := b.key()
	if err != nil {
		return Artifact{}, err
	}
	zipPath := filepath.Join(b.cache, key+".zip")
	if !b.opts.Rebuild {
		if a, err := artifactOf(zipPath); err == nil {
			return a, nil
		} else if !errors.Is(err, fs.ErrNotExist) {
			return Artifact{}, fmt.Errorf("lambda %s: cached zip: %w", b.pkg, err)
		}
	}
	if err := os.MkdirAll(b.cache, 0o755); err != nil {
		return Artifact{}, fmt.Errorf("lambda %s: cache directory: %w", b.pkg, err)
	}
	work, err := os.MkdirTemp(b.cache, "build-")
	if err != nil {
		return Artifact{}, fmt.Errorf("lambda %s: work directory: %w", b.pkg, err)
	}
	defer os.RemoveAll(work)
	bin, err := b.compile(work)
	if err != nil {
		return Artifact{}, err
	}
	tmpZip := filepath.Join(work, "bootstrap.zip")
	if err := WriteZip(bin, tmpZip); err != nil {
		return Artifact{}, fmt.Errorf("lambda %s: %w", b.pkg, err)
	}
	data, err := os.ReadFile(tmpZip)
	if err != nil {
		return Artifact{}, fmt.Errorf("lambda %s: %w", b.pkg, err)
	}
	// The sidecar first, then the zip: a reader that finds the new zip
	// finds its digest. Rename is atomic: a concurrent build of the same key
	// writes the same bytes, and a reader never sees a partial zip.
	if err := writeDigest(zipPath, digestOf(data)); err != nil {
		return Artifact{}, fmt.Errorf("lambda %s: %w", b.pkg, err)
	}
	if err := os.Rename(tmpZip, zipPath); err != nil {
		return Artifact{}, fmt.Errorf("lambda %s: store zip: %w", b.pkg, err)
	}
	a, err := artifactOf(zipPath)
	if err != nil {
		return Artifact{}, fmt.Errorf("lambda %s: %w", b.pkg, err)
	}
	return a, nil
}

// goBuild compiles the package into outDir/bootstrap.
func (b *builder) goBuild(outDir string) (string, error) {
	bin := filepath.Join(outDir, EntryName)
	if _, err := b.goCmd("build", "-trimpath", "-buildvcs=false", "-tags", targetTags,
		"-ldflags", "-s -w -buildid=", "-o", bin, b.pkg); err != nil {
		return "", err
	}
	return bin, nil
}

// WriteZip writes a deterministic zip at zipPath holding binPath as the
// single entry "bootstrap" (mode 0755, fixed time, deflated).
func WriteZip(binPath, zipPath string) (err error) {
	data, err := os.ReadFile(binPath)
	if err != nil {
		return fmt.Errorf("read binary: %w", err)
	}
	f, err := os.Create(zipPath)
	if err != nil {
		return fmt.Errorf("create zip: %w", err)
	}
	defer func() {
		if cerr := f.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("close zip: %w", cerr)
		}
	}()
	zw := zip.NewWriter(f)
	hdr := &zip.FileHeader{Name: EntryName, Method: zip.Deflate}
	hdr.Modified = ZipTime
	hdr.SetMode(EntryMode)
	w, err := zw.CreateHeader(hdr)
	if err != nil {
		return fmt.Errorf("zip entry: %w", err)
	}
	if _, err := io.Copy(w, bytes.NewReader(data)); err != nil {
		return fmt.Errorf("zip write: %w", err)
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("zip close: %w", err)
	}
	return nil
}

// digestSuffix names the file next to a cached zip that holds its
// SHA256Base64, so a cache hit does not read and hash the whole zip (about
// 10 ms per function per preview).
const digestSuffix = ".sha256"

// artifactOf returns the artifact of an existing zip, with the digest from
// its sidecar file when there is one and by hashing the zip (and writing
// the sidecar) when there is none. A missing zip is fs.ErrNotExist whatever
// the sidecar says.
func artifactOf(zipPath string) (Artifact, error) {
	if _, err := os.Stat(zipPath); err != nil {
		return Artifact{}, err
	}
	if d, err := os.ReadFile(zipPath + digestSuffix); err == nil && validDigest(string(d)) {
		return Artifact{ZipPath: zipPath, SHA256Base64: string(d)}, nil
	}
	data, err := os.ReadFile(zipPath)
	if err != nil {
		return Artifact{}, err
	}
	a := Artifact{ZipPath: zipPath, SHA256Base64: digestOf(data)}
	if err := writeDigest(zipPath, a.SHA256Base64); err != nil {
		return Artifact{}, err
	}
	return a, nil
}

// digestOf is the base64 SHA-256 of data (Lambda's CodeSha256 format).
func digestOf(data []byte) string {
	sum := sha256.Sum256(data)
	return base64.StdEncoding.EncodeToString(sum[:])
}

// validDigest accepts exactly a base64 SHA-256; anything else (a truncated
// or foreign sidecar) is ignored and the zip hashed again.
func validDigest(d string) bool {
	raw, err := base64.StdEncoding.DecodeString(d)
	return err == nil && len(raw) == sha256.Size
}

// writeDigest stores the sidecar atomically (temporary file, then rename).
func writeDigest(zipPath, digest string) error {
	tmp, err := os.CreateTemp(filepath.Dir(zipPath), filepath.Base(zipPath)+".tmp-")
	if err != nil {
		return fmt.Errorf("digest of %s: %w", zipPath, err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.WriteString(digest); err != nil {
		tmp.Close()
		return fmt.Errorf("digest of %s: %w", zipPath, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("digest of %s: %w", zipPath, err)
	}
	if err := os.Rename(tmp.Name(), zipPath+digestSuffix); err != nil {
		return fmt.Errorf("digest of %s: %w", zipPath, err)
	}
	return nil
}

package lambdabuild

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// tinyModule writes a dependency-free module with a main package at
// ./functions/hello and a library package it imports.
func tinyModule(t *testing.T, greeting string) string {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{
		"go.mod":                                 "module example.com/tiny\n\ngo 1.22\n",
		"functions/hello/main.go":                "package main\n\nimport \"example.com/tiny/functions/internal/greet\"\n\nfunc main() { println(greet.Text()) }\n",
		"functions/internal/greet/greet.go":      "package greet\n\n// Text is the greeting.\nfunc Text() string { return \"" + greeting + "\" }\n",
		"functions/internal/greet/greet_test.go": "package greet\n",
		"functions/lib/lib.go":                   "package lib\n\n// X is not a main package.\nconst X = 1\n",
		"unrelated/other.go":                     "package unrelated\n",
	}
	for name, body := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte(body), 0o644))
	}
	return dir
}

func TestBuildIsReproducible(t *testing.T) {
	mod := tinyModule(t, "hello")
	a1, err := BuildWith(mod, "./functions/hello", Options{CacheDir: t.TempDir()})
	require.NoError(t, err)
	// A fresh cache and a copy of the module somewhere else: no reuse, and
	// the checkout path must not leak into the binary (-trimpath).
	mod2 := tinyModule(t, "hello")
	a2, err := BuildWith(mod2, "functions/hello", Options{CacheDir: t.TempDir()})
	require.NoError(t, err)
	assert.NotEqual(t, a1.ZipPath, a2.ZipPath)

	z1, err := os.ReadFile(a1.ZipPath)
	require.NoError(t, err)
	z2, err := os.ReadFile(a2.ZipPath)
	require.NoError(t, err)
	assert.True(t, bytes.Equal(z1, z2), "two builds of the same source differ")
	assert.Equal(t, a1.SHA256Base64, a2.SHA256Base64)
	sum := sha256.Sum256(z1)
	assert.Equal(t, base64.StdEncoding.EncodeToString(sum[:]), a1.SHA256Base64)

	// The zip holds exactly the bootstrap entry, executable, at the fixed time.
	zr, err := zip.NewReader(bytes.NewReader(z1), int64(len(z1)))
	require.NoError(t, err)
	require.Len(t, zr.File, 1)
	f := zr.File[0]
	assert.Equal(t, "bootstrap", f.Name)
	assert.Equal(t, os.FileMode(0o755), f.Mode().Perm())
	assert.True(t, f.Mode().IsRegular())
	assert.True(t, f.Modified.Equal(ZipTime), "modified %v", f.Modified)
	assert.Equal(t, zip.Deflate, f.Method)
	rc, err := f.Open()
	require.NoError(t, err)
	head := make([]byte, 20)
	_, err = rc.Read(head)
	require.NoError(t, err)
	require.NoError(t, rc.Close())
	// An ELF executable for arm64 (e_machine 0xB7 = EM_AARCH64).
	assert.Equal(t, []byte("\x7fELF"), head[:4])
	assert.Equal(t, byte(0xb7), head[18])
}

func TestBuildUsesTheCache(t *testing.T) {
	mod := tinyModule(t, "hello")
	cache := t.TempDir()
	b, err := newBuilder(mod, "./functions/hello", Options{CacheDir: cache})
	require.NoError(t, err)
	compiles := 0
	b.compile = func(out string) (string, error) {
		compiles++
		p := filepath.Join(out, "bootstrap")
		return p, os.WriteFile(p, []byte("fake binary"), 0o755)
	}
	a1, err := b.run()
	require.NoError(t, err)
	a2, err := b.run()
	require.NoError(t, err)
	assert.Equal(t, 1, compiles, "the second build must come from the cache")
	assert.Equal(t, a1, a2)
	assert.Equal(t, cache, filepath.Dir(a1.ZipPath))
	entries, err := os.ReadDir(cache)
	require.NoError(t, err)
	names := make([]string, 0, len(entries))
	for _, e := range entries {
		names = append(names, e.Name())
	}
	base := filepath.Base(a1.ZipPath)
	assert.ElementsMatch(t, []string{base, base + digestSuffix}, names, "only the zip and its digest stay in the cache")

	// Rebuild ignores the cached zip.
	b.opts.Rebuild = true
	_, err = b.run()
	require.NoError(t, err)
	assert.Equal(t, 2, compiles)
	b.opts.Rebuild = false

	// A change in an imported package changes the key; a test file or a
	// package outside the import graph does not.
	key1, err := b.key()
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(mod, "unrelated", "other.go"), []byte("package unrelated\n\nconst Y = 2\n"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(mod, "functions/internal/greet/greet_test.go"), []byte("package greet\n\nconst Z = 3\n"), 0o644))
	key2, err := b.key()
	require.NoError(t, err)
	assert.Equal(t, key1, key2)
	require.NoError(t, os.WriteFile(filepath.Join(mod, "functions/internal/greet/greet.go"), []byte("package greet\n\nfunc Text() string { return \"bye\" }\n"), 0o644))
	key3, err := b.key()
	require.NoError(t, err)
	assert.NotEqual(t, key1, key3)
	a3, err := b.run()
	require.NoError(t, err)
	assert.Equal(t, 3, compiles)
	assert.NotEqual(t, a1.ZipPath, a3.ZipPath)
}

func TestCacheDirFromEnvironment(t *testing.T) {
	dir := t.TempDir()
	t.Setenv(CacheEnv, dir)
	got, err := cacheDir("")
	require.NoError(t, err)
	assert.Equal(t, dir, got)
	got, err = cacheDir("/explicit")
	require.NoError(t, err)
	assert.Equal(t, "/explicit", got)
	t.Setenv(CacheEnv, "")
	got, err = cacheDir("")
	require.NoError(t, err)
	assert.True(t, strings.HasSuffix(got, filepath.Join("fintech-resilience", "lambda")), got)
}

func TestBuildErrors(t *testing.T) {
	mod := tinyModule(t, "hello")
	cases := map[string]struct {
		root, pkg string
		want      []string
	}{
		"missing package": {mod, "./functions/nope", []string{"lambda ./functions/nope", "go list", "functions/nope"}},
		"not main":        {mod, "./functions/lib", []string{"lambda ./functions/lib", "not a main package", `"lib"`}},
		"empty":           {mod, "", []string{"package path is empty"}},
		"pattern":         {mod, "./functions/...", []string{"give one package"}},
		"outside":         {mod, "../elsewhere", []string{"outside the module root"}},
		"no go.mod":       {t.TempDir(), "./functions/hello", []string{"has no go.mod"}},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := BuildWith(c.root, c.pkg, Options{CacheDir: t.TempDir()})
			require.Error(t, err)
			for _, w := range c.want {
				assert.Contains(t, err.Error(), w)
			}
		})
	}
}

func TestCompileErrorCarriesOutput(t *testing.T) {
	mod := tinyModule(t, "hello")
	require.NoError(t, os.WriteFile(filepath.Join(mod, "functions/hello/main.go"),
		[]byte("package main\n\nfunc main() { undefinedThing() }\n"), 0o644))
	_, err := BuildWith(mod, "./functions/hello", Options{CacheDir: t.TempDir()})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "lambda ./functions/hello")
	assert.Contains(t, err.Error(), "undefined: undefinedThing")
}

func TestTrim(t *testing.T) {
	long := strings.Repeat("line\n", 100)
	got := trim(long)
	assert.Contains(t, got, "(60 more lines)")
	assert.LessOrEqual(t, strings.Count(got, "\n"), 41)
	assert.Contains(t, trim(strings.Repeat("x", 5000)), "(truncated)")
}

// writeFiles writes files (slash paths relative to dir) into dir.
func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, body := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte(body), 0o644))
	}
}

// keyModule is tinyModule with a go.sum and two build-constrained files in
// the shared package: one for the target tags that imports
// functions/internal/rpc, one for windows that imports unrelated.
func keyModule(t *testing.T) string {
	t.Helper()
	mod := tinyModule(t, "hello")
	writeFiles(t, mod, map[string]string{
		"go.sum":                            "example.com/dep v1.0.0 h1:AAAA=\nexample.com/dep v1.0.0/go.mod h1:BBBB=\n",
		"functions/internal/greet/norpc.go": "//go:build lambda.norpc && linux && arm64\n\npackage greet\n\nimport \"example.com/tiny/functions/internal/rpc\"\n\nvar _ = rpc.Off\n",
		"functions/internal/greet/greet_windows.go": "package greet\n\nimport \"example.com/tiny/unrelated\"\n",
		"functions/internal/rpc/rpc.go":             "package rpc\n\n// Off is true.\nconst Off = true\n",
	})
	return mod
}

func TestKeyFollowsTheImportsOfTheFunction(t *testing.T) {
	mod := keyModule(t)
	newKey := func() string {
		t.Helper()
		b, err := newBuilder(mod, "./functions/hello", Options{CacheDir: t.TempDir()})
		require.NoError(t, err)
		k, err := b.key()
		require.NoError(t, err)
		return k
	}
	b, err := newBuilder(mod, "./functions/hello", Options{CacheDir: t.TempDir()})
	require.NoError(t, err)
	files, err := b.scanSources("go1.26.8", "-buildvcs=false")
	require.NoError(t, err, "the tiny module needs no go list")
	assert.Equal(t, []string{
		"functions/hello/main.go",
		"functions/internal/greet/greet.go",
		"functions/internal/greet/greet_windows.go",
		"functions/internal/greet/norpc.go",
		"functions/internal/rpc/rpc.go",
	}, files, "the package directories of the import graph for linux/arm64 and lambda.norpc, tests excluded")

	base := newKey()
	require.Equal(t, base, newKey(), "two runs give the same key")

	changes := []struct {
		name, file, body string
		changes          bool
	}{
		{"unrelated package", "unrelated/other.go", "package unrelated\n\nconst Y = 2\n", false},
		{"test file of a shared package", "functions/internal/greet/greet_test.go", "package greet\n\nconst Z = 3\n", false},
		{"new file in an unrelated package", "unrelated/more.go", "package unrelated\n\nconst W = 4\n", false},
		{"file of the function package", "functions/hello/main.go", "package main\n\nimport \"example.com/tiny/functions/internal/greet\"\n\nfunc main() { println(greet.Text(), 1) }\n", true},
		{"new file in the function package", "functions/hello/extra.go", "package main\n\nconst V = 5\n", true},
		{"file of a shared package", "functions/internal/greet/greet.go", "package greet\n\nfunc Text() string { return \"bye\" }\n", true},
		{"package imported only under the target tags", "functions/internal/rpc/rpc.go", "package rpc\n\nconst Off = false\n", true},
		{"go.sum", "go.sum", "example.com/dep v1.0.1 h1:CCCC=\nexample.com/dep v1.0.1/go.mod h1:DDDD=\n", true},
		{"go.mod", "go.mod", "module example.com/tiny\n\ngo 1.23\n", true},
		{"default.pgo of the function", "functions/hello/default.pgo", "profile", true},
	}
	for _, c := range changes {
		writeFiles(t, mod, map[string]string{c.file: c.body})
		got := newKey()
		if c.changes {
			assert.NotEqual(t, base, got, "a change of the %s must change the key", c.name)
		} else {
			assert.Equal(t, base, got, "a change of the %s must not change the key", c.name)
		}
		base = got
		assert.Equal(t, base, newKey(), "the key is stable after the change of the %s", c.name)
	}
}

func TestKeyFallsBackToGoList(t *testing.T) {
	cases := map[string]struct {
		files     map[string]string
		goVersion string
		goFlags   string
		reason    string
		keyWorks  bool // go list accepts the layout
	}{
		"embed directive": {
			files: map[string]string{
				"functions/internal/greet/embed.go":       "package greet\n\nimport _ \"embed\"\n\n//go:embed text/hello.txt\nvar embedded string\n",
				"functions/internal/greet/text/hello.txt": "hi",
			},
			reason: "embeds files", keyWorks: true,
		},
		"toolchain tag": {
			files:  map[string]string{"functions/internal/greet/exp.go": "//go:build goexperiment.jsonv2\n\npackage greet\n"},
			reason: `"goexperiment.jsonv2"`, keyWorks: true,
		},
		"nested module": {
			files: map[string]string{
				"functions/hello/main.go": "package main\n\nimport \"example.com/tiny/nested/x\"\n\nfunc main() { x.F() }\n",
				"nested/go.mod":           "module example.com/tiny/nested\n\ngo 1.22\n",
				"nested/x/x.go":           "package x\n\nfunc F() {}\n",
			},
			reason: "nested module",
		},
		"go.sum names the module": {
			files:  map[string]string{"go.sum": "example.com/tiny v0.1.0/go.mod h1:AAAA=\n"},
			reason: "go.sum names the module", keyWorks: true,
		},
		"GOFLAGS overlay":       {goFlags: "-buildvcs=false -overlay=/tmp/o.json", reason: "GOFLAGS sets -overlay", keyWorks: true},
		"development toolchain": {goVersion: "devel go1.27-abcdef", reason: "not a release", keyWorks: true},
		"missing package import": {
			files:  map[string]string{"functions/hello/main.go": "package main\n\nimport \"example.com/tiny/nope\"\n\nfunc main() {}\n"},
			reason: "example.com/tiny/nope",
		},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			mod := tinyModule(t, "hello")
			writeFiles(t, mod, c.files)
			b, err := newBuilder(mod, "./functions/hello", Options{CacheDir: t.TempDir()})
			require.NoError(t, err)
			goVersion := c.goVersion
			if goVersion == "" {
				goVersion = "go1.26.8"
			}
			_, err = b.scanSources(goVersion, c.goFlags)
			var need *needGoListError
			require.ErrorAs(t, err, &need)
			assert.Contains(t, need.reason, c.reason)
			if c.keyWorks {
				_, err = b.key()
				assert.NoError(t, err)
			}
		})
	}
}

func TestKeyOfEmbeddedFilesThroughGoList(t *testing.T) {
	mod := tinyModule(t, "hello")
	writeFiles(t, mod, map[string]string{
		"functions/internal/greet/embed.go":       "package greet\n\nimport _ \"embed\"\n\n//go:embed text/hello.txt\nvar embedded string\n",
		"functions/internal/greet/text/hello.txt": "hi",
	})
	b, err := newBuilder(mod, "./functions/hello", Options{CacheDir: t.TempDir()})
	require.NoError(t, err)
	k1, err := b.key()
	require.NoError(t, err)
	writeFiles(t, mod, map[string]string{"functions/internal/greet/text/hello.txt": "ho"})
	k2, err := b.key()
	require.NoError(t, err)
	assert.NotEqual(t, k1, k2, "an embedded file is part of the key")
}

// TestScanCoversGoList checks, on the tiny module and on this repository's
// functions, that the files scanSources hashes include every file go list
// reports for the build.
func TestScanCoversGoList(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go list on the repository")
	}
	type target struct{ root, pkg string }
	targets := []target{{keyModule(t), "./functions/hello"}}
	repo, err := filepath.Abs(filepath.Join("..", ".."))
	require.NoError(t, err)
	entries, err := os.ReadDir(filepath.Join(repo, "functions"))
	require.NoError(t, err)
	for _, e := range entries {
		// Every function directory (a main.go); shared packages such as
		// functions/contract are not Lambdas.
		if _, err := os.Stat(filepath.Join(repo, "functions", e.Name(), "main.go")); e.IsDir() && err == nil {
			targets = append(targets, target{repo, "./functions/" + e.Name()})
		}
	}
	for _, tg := range targets {
		t.Run(tg.pkg, func(t *testing.T) {
			b, err := newBuilder(tg.root, tg.pkg, Options{CacheDir: t.TempDir()})
			require.NoError(t, err)
			out, err := b.goCmd("env", "GOVERSION", "GOFLAGS")
			require.NoError(t, err)
			env := strings.Split(strings.TrimRight(string(out), "\n"), "\n")
			require.Len(t, env, 2)
			scanned, err := b.scanSources(env[0], env[1])
			require.NoError(t, err, "no go list needed")
			listed, err := b.listSources()
			require.NoError(t, err)
			require.NotEmpty(t, listed)
			assert.Subset(t, scanned, listed)
		})
	}
}

// The digest of a cached zip comes from its sidecar; a missing or damaged
// sidecar is replaced by hashing the zip, and a sidecar never stands in
// for a missing zip.
func TestDigestSidecar(t *testing.T) {
	dir := t.TempDir()
	zipPath := filepath.Join(dir, "k.zip")
	require.NoError(t, os.WriteFile(zipPath, []byte("zip bytes"), 0o644))
	sum := sha256.Sum256([]byte("zip bytes"))
	want := base64.StdEncoding.EncodeToString(sum[:])

	a, err := artifactOf(zipPath)
	require.NoError(t, err)
	assert.Equal(t, Artifact{ZipPath: zipPath, SHA256Base64: want}, a)
	side, err := os.ReadFile(zipPath + digestSuffix)
	require.NoError(t, err)
	assert.Equal(t, want, string(side), "the first look-up writes the sidecar")

	// The sidecar is what a cache hit reads: the zip is not hashed again.
	other := sha256.Sum256([]byte("other"))
	otherDigest := base64.StdEncoding.EncodeToString(other[:])
	require.NoError(t, os.WriteFile(zipPath+digestSuffix, []byte(otherDigest), 0o644))
	a, err = artifactOf(zipPath)
	require.NoError(t, err)
	assert.Equal(t, otherDigest, a.SHA256Base64)

	// A damaged sidecar (not a base64 SHA-256) is ignored and rewritten.
	for _, bad := range []string{"", "not base64!", base64.StdEncoding.EncodeToString([]byte("short"))} {
		require.NoError(t, os.WriteFile(zipPath+digestSuffix, []byte(bad), 0o644))
		a, err = artifactOf(zipPath)
		require.NoError(t, err)
		assert.Equal(t, want, a.SHA256Base64, "sidecar %q", bad)
		side, err = os.ReadFile(zipPath + digestSuffix)
		require.NoError(t, err)
		assert.Equal(t, want, string(side))
	}

	// No zip: not found, whatever the sidecar says.
	require.NoError(t, os.Remove(zipPath))
	_, err = artifactOf(zipPath)
	assert.ErrorIs(t, err, os.ErrNotExist)
}

// A build writes the digest of the zip it stores.
func TestBuildWritesTheDigest(t *testing.T) {
	mod := tinyModule(t, "hello")
	b, err := newBuilder(mod, "./functions/hello", Options{CacheDir: t.TempDir()})
	require.NoError(t, err)
	b.compile = func(out string) (string, error) {
		p := filepath.Join(out, "bootstrap")
		return p, os.WriteFile(p, []byte("fake binary"), 0o755)
	}
	a, err := b.run()
	require.NoError(t, err)
	z, err := os.ReadFile(a.ZipPath)
	require.NoError(t, err)
	sum := sha256.Sum256(z)
	assert.Equal(t, base64.StdEncoding.EncodeToString(sum[:]), a.SHA256Base64)
	side, err := os.ReadFile(a.ZipPath + digestSuffix)
	require.NoError(t, err)
	assert.Equal(t, a.SHA256Base64, string(side))
}

// BuildAll gives, in order, the artifacts Build gives one by one, and
// reports every package it cannot build.
func TestBuildAll(t *testing.T) {
	mod := tinyModule(t, "hello")
	writeFiles(t, mod, map[string]string{
		"functions/bye/main.go": "package main\n\nfunc main() { println(\"bye\") }\n",
	})
	cache := t.TempDir()
	all, err := BuildAll(mod, []string{"./functions/hello", "./functions/bye"}, Options{CacheDir: cache})
	require.NoError(t, err)
	require.Len(t, all, 2)
	hello, err := BuildWith(mod, "./functions/hello", Options{CacheDir: cache})
	require.NoError(t, err)
	bye, err := BuildWith(mod, "./functions/bye", Options{CacheDir: cache})
	require.NoError(t, err)
	assert.Equal(t, []Artifact{hello, bye}, all)
	assert.NotEqual(t, hello.SHA256Base64, bye.SHA256Base64)

	_, err = BuildAll(mod, []string{"./functions/hello", "./functions/lib", "./functions/missing"}, Options{CacheDir: cache})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "functions/lib")
	assert.Contains(t, err.Error(), "functions/missing")

	none, err := BuildAll(mod, nil, Options{CacheDir: cache})
	require.NoError(t, err)
	assert.Empty(t, none)
}

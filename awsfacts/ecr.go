package awsfacts

import (
	"fmt"
	"regexp"
)

// ecrImageRE is a private ECR image URI of the aws partition:
// <account>.dkr.ecr.<region>.amazonaws.com/<repository>[:tag|@sha256:digest].
var ecrImageRE = regexp.MustCompile(`^([0-9]{12})\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com/([a-z0-9._/-]+)(?::([A-Za-z0-9_.-]+)|@(sha256:[a-f0-9]{64}))?$`)

// ECRImage is a private ECR image URI taken apart.
type ECRImage struct {
	Account    string
	Region     string
	Repository string
	// Tag and Digest ("sha256:<64 hex digits>"): at most one is set.
	Tag    string
	Digest string
}

// ParseECRImage takes apart a private ECR image URI of the aws partition;
// false for any other image (another registry, a public ECR image, a
// malformed tag or digest).
func ParseECRImage(image string) (ECRImage, bool) {
	m := ecrImageRE.FindStringSubmatch(image)
	if m == nil {
		return ECRImage{}, false
	}
	return ECRImage{Account: m[1], Region: m[2], Repository: m[3], Tag: m[4], Digest: m[5]}, true
}

// Pinned reports whether the image names a tag or a digest (not the
// implicit "latest").
func (i ECRImage) Pinned() bool { return i.Tag != "" || i.Digest != "" }

// Registry is the registry host of the image's account and region, with a
// trailing slash.
func (i ECRImage) Registry() string {
	return fmt.Sprintf("%s.dkr.ecr.%s.amazonaws.com/", i.Account, i.Region)
}

// RepositoryArn is the ARN of the image's repository.
func (i ECRImage) RepositoryArn() string {
	return fmt.Sprintf("arn:%s:ecr:%s:%s:repository/%s", Partition, i.Region, i.Account, i.Repository)
}

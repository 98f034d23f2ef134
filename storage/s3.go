package storage

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// DefaultPartSize is the multipart part size used when S3Config.PartSize is zero. Files up to
// this size go up in a single PUT.
const DefaultPartSize = 16 << 20

// S3Config says where an S3 store is and how to reach it.
type S3Config struct {
	Endpoint  string // host:port, without a scheme
	Secure    bool   // HTTPS
	Region    string // empty: asked of the server
	Bucket    string
	Prefix    string // prepended to every key, as a folder: "recordings" stores "recordings/<key>"
	AccessKey string
	SecretKey string
	// Transport replaces the HTTP transport, e.g. to trust a private CA. Optional.
	Transport http.RoundTripper
	// PartSize is the multipart part size; default DefaultPartSize, at least 5 MiB (S3's minimum).
	PartSize uint64
	// MaxRetries bounds the client's own retries of one request; default 10. The Uploader
	// retries whole uploads itself, so a lower number only makes an outage show sooner.
	MaxRetries int
}

// S3 is a Store in an S3-compatible bucket. A multipart upload cut short (the process stopping
// mid-upload) can leave its parts in the bucket, unseen and billed; a lifecycle rule with
// AbortIncompleteMultipartUpload on the bucket clears them.
type S3 struct {
	client   *minio.Client
	bucket   string
	prefix   string
	partSize uint64
	endpoint string
}

// NewS3 connects to the bucket of cfg and checks that it exists, so a misconfigured store shows
// at startup rather than at the end of the first recording.
func NewS3(ctx context.Context, cfg S3Config) (*S3, error) {
	if cfg.Endpoint == "" || cfg.Bucket == "" {
		return nil, errors.New("storage: S3 needs an endpoint and a bucket")
	}
	partSize := cfg.PartSize
	if partSize == 0 {
		partSize = DefaultPartSize
	}
	client, err := minio.New(cfg.Endpoint, &minio.Options{
		Creds:      credentials.NewStaticV4(cfg.AccessKey, cfg.SecretKey, ""),
		Secure:     cfg.Secure,
		Region:     cfg.Region,
		Transport:  cfg.Transport,
		MaxRetries: cfg.MaxRetries,
	})
	if err != nil {
		return nil, fmt.Errorf("storage: S3 endpoint %s: %w", cfg.Endpoint, err)
	}
	s := &S3{
		client:   client,
		bucket:   cfg.Bucket,
		prefix:   normalizePrefix(cfg.Prefix),
		partSize: partSize,
		endpoint: cfg.Endpoint,
	}
	ok, err := client.BucketExists(ctx, cfg.Bucket)
	if err != nil {
		return nil, fmt.Errorf("storage: checking bucket %q at %s: %w", cfg.Bucket, cfg.Endpoint, err)
	}
	if !ok {
		return nil, fmt.Errorf("storage: bucket %q does not exist at %s", cfg.Bucket, cfg.Endpoint)
	}
	return s, nil
}

func normalizePrefix(p string) string {
	p = strings.Trim(p, "/")
	if p == "" {
		return ""
	}
	return p + "/"
}

// Name implements Store.
func (s *S3) Name() string { return "s3://" + s.bucket + "/" + strings.TrimSuffix(s.prefix, "/") }

// object is the object name of key.
func (s *S3) object(key string) string { return s.prefix + key }

// Put implements Store. The upload is multipart above the part size. A completed upload is not
// taken on trust: the object's size is read back and must equal the file's before Put succeeds,
// because the caller may delete the file as soon as it does.
func (s *S3) Put(ctx context.Context, key, path string) error {
	if err := CheckKey(key); err != nil {
		return err
	}
	obj := s.object(key)
	st, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("storage: upload s3://%s/%s: %w", s.bucket, obj, err)
	}
	_, err = s.client.FPutObject(ctx, s.bucket, obj, path, minio.PutObjectOptions{
		ContentType: ContentType(key),
		PartSize:    s.partSize,
	})
	if err != nil {
		return fmt.Errorf("storage: upload %s to s3://%s/%s: %w", path, s.bucket, obj, err)
	}
	info, err := s.client.StatObject(ctx, s.bucket, obj, minio.StatObjectOptions{})
	if err != nil {
		return fmt.Errorf("storage: confirming s3://%s/%s: %w", s.bucket, obj, err)
	}
	if info.Size != st.Size() {
		return fmt.Errorf("storage: s3://%s/%s has %d bytes after upload, file %s has %d",
			s.bucket, obj, info.Size, path, st.Size())
	}
	return nil
}

// Delete implements Store.
func (s *S3) Delete(ctx context.Context, key string) error {
	if err := CheckKey(key); err != nil {
		return err
	}
	obj := s.object(key)
	err := s.client.RemoveObject(ctx, s.bucket, obj, minio.RemoveObjectOptions{})
	// S3 answers a delete of a missing object with success; some compatible servers do not.
	if err != nil && minio.ToErrorResponse(err).Code != minio.NoSuchKey {
		return fmt.Errorf("storage: delete s3://%s/%s: %w", s.bucket, obj, err)
	}
	return nil
}

// URL implements Store with a presigned GET, which S3 accepts for at most 7 days.
func (s *S3) URL(ctx context.Context, key string, ttl time.Duration) (string, error) {
	if err := CheckKey(key); err != nil {
		return "", err
	}
	obj := s.object(key)
	u, err := s.client.PresignedGetObject(ctx, s.bucket, obj, ttl, nil)
	if err != nil {
		return "", fmt.Errorf("storage: presigning s3://%s/%s: %w", s.bucket, obj, err)
	}
	return u.String(), nil
}

// Read returns the object under key, for files the service serves itself (an HLS playlist,
// whose relative segment names must resolve against the service, not the bucket). At most
// limit bytes are read.
func (s *S3) Read(ctx context.Context, key string, limit int64) ([]byte, error) {
	if err := CheckKey(key); err != nil {
		return nil, err
	}
	obj := s.object(key)
	o, err := s.client.GetObject(ctx, s.bucket, obj, minio.GetObjectOptions{})
	if err != nil {
		return nil, fmt.Errorf("storage: reading s3://%s/%s: %w", s.bucket, obj, err)
	}
	defer o.Close()
	b, err := io.ReadAll(io.LimitReader(o, limit))
	if err != nil {
		return nil, fmt.Errorf("storage: reading s3://%s/%s: %w", s.bucket, obj, err)
	}
	return b, nil
}

// Get copies the object of key to the file path (made or replaced), for work that needs a
// stored recording's bytes on disk (a remix of a raw recording). The file is written beside
// path and renamed into place whole.
func (s *S3) Get(ctx context.Context, key, path string) error {
	if err := CheckKey(key); err != nil {
		return err
	}
	obj := s.object(key)
	if err := s.client.FGetObject(ctx, s.bucket, obj, path, minio.GetObjectOptions{}); err != nil {
		return fmt.Errorf("storage: reading s3://%s/%s: %w", s.bucket, obj, err)
	}
	return nil
}

// contentTypes are the types players need to see for the files a recording is made of; the
// system's MIME table often lacks them (m3u8, m4s) or differs between machines.
var contentTypes = map[string]string{
	".mp4":  "video/mp4",
	".mp3":  "audio/mpeg",
	".webm": "video/webm",
	".m3u8": "application/vnd.apple.mpegurl",
	".m4s":  "video/iso.segment",
	".json": "application/json",
}

// ContentType is the Content-Type a file stored under key is served with.
func ContentType(key string) string {
	ext := strings.ToLower(filepath.Ext(key))
	if t, ok := contentTypes[ext]; ok {
		return t
	}
	if t := mime.TypeByExtension(ext); t != "" {
		return t
	}
	return "application/octet-stream"
}

// Package e2e holds mediapush's end-to-end tests and benchmarks: the whole service in one
// process (or as its binary), real Chromium, real WebRTC on loopback, files checked with
// ffprobe and ffmpeg as a user would check them.
package e2e

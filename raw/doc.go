// Package raw keeps a room's raw recording: each participant publication's audio and video
// as the room relays them, without decoding (H264/VP8/VP9 with Opus into Matroska, Opus
// alone into Ogg), and a manifest that places every publication on the room's clock. A
// later render (a remix with any layout) replays the files from the manifest.
//
// A raw recording is crash-safe like a mix: the media files are written incrementally by
// the recorder package (a kill loses at most about a second), and the manifest is written
// anew, atomically, on every change. Recover closes what a killed process left.
package raw

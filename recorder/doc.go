// Package recorder writes the media of a recording session to disk.
//
// While a session records, a Writer appends the samples it is given to an
// incremental Matroska file: every accepted sample reaches the file with a
// write(2) within a short interleave window, so a process that is killed
// loses at most about a second of media. Repair makes such a partial file
// finalizable, and Finalize remuxes (mp4: transcodes the audio to AAC) the
// Matroska file into the deliverable with the system's ffmpeg.
package recorder

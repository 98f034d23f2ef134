# mediapush: a Debian image with Chromium and ffmpeg from Debian, running as a non-root user.
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -o /out/mediapush ./cmd/mediapush

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends chromium ffmpeg fonts-dejavu-core ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --create-home --home-dir /home/mediapush mediapush \
 && install -d -o mediapush -g mediapush /data
COPY --from=build /out/mediapush /usr/local/bin/mediapush
USER mediapush
VOLUME /data
EXPOSE 5080
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/mediapush", "serve", "--data", "/data"]

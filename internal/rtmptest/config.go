package rtmptest

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// Where Debian's nginx and libnginx-mod-rtmp put their files. /usr/sbin is not in an
// ordinary user's PATH, so the binary is looked for there too.
var (
	nginxBinaries = []string{"nginx", "/usr/sbin/nginx"}
	moduleGlobs   = []string{"/usr/lib/nginx/modules/ngx_rtmp_module.so", "/usr/lib/nginx/modules/*rtmp*.so"}
)

// errNotInstalled tells Start to skip the test rather than fail it, like the other tests
// that need a tool from scripts/deps.sh.
var errNotInstalled = errors.New("not installed")

// findNginx returns the nginx binary and the RTMP module to load into it.
func findNginx() (binary, module string, err error) {
	for _, b := range nginxBinaries {
		if p, err := exec.LookPath(b); err == nil {
			binary = p
			break
		}
	}
	if binary == "" {
		return "", "", fmt.Errorf("nginx is %w (scripts/deps.sh installs it)", errNotInstalled)
	}
	for _, g := range moduleGlobs {
		if m, _ := filepath.Glob(g); len(m) > 0 {
			return binary, m[0], nil
		}
	}
	return "", "", fmt.Errorf("nginx's RTMP module is %w (libnginx-mod-rtmp; scripts/deps.sh installs it)", errNotInstalled)
}

// writeConfig writes dir/nginx.conf: one RTMP application, "live", that records every
// stream published to it into recDir.
//
// nginx runs as a single process (master_process off) under the test's own user. With a
// master process, nginx started as root hands the connections to workers that run as
// nobody, which could not write into the test's temporary directory; and killing only the
// master would leave a worker holding the port. One process has neither problem, and Stop
// is one SIGKILL. nginx calls this mode a development one, which is what a test is.
//
// There is no http block: nothing listens but the RTMP port on loopback, and nginx needs
// none of its /var/lib/nginx temporary directories. Every file nginx writes is in dir: the
// RTMP module's access log would otherwise be /var/log/nginx/access.log, which only root
// may open.
func writeConfig(dir, module, recDir string, port int) error {
	conf := fmt.Sprintf(`# Written by mediapush's internal/rtmptest for one test.
load_module %s;
daemon off;
master_process off;
worker_processes 1;
pid %s;
error_log %s info;

events {
    worker_connections 64;
}

rtmp {
    access_log %s;
    server {
        listen 127.0.0.1:%d;
        application live {
            live on;
            record all;
            record_path %s;
            record_unique on;
        }
    }
}
`, quote(module), quote(filepath.Join(dir, "nginx.pid")), quote(filepath.Join(dir, logName)),
		quote(filepath.Join(dir, "access.log")), port, quote(recDir))
	return os.WriteFile(filepath.Join(dir, "nginx.conf"), []byte(conf), 0o644)
}

// quote makes a path one nginx configuration token: t.TempDir keeps braces and '#' of a
// test's name (and TMPDIR may hold anything), which would otherwise end the directive.
func quote(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}

package engine

import (
	"testing"
)

func TestDockerConfigMACByAPIVersion(t *testing.T) {
	spec := ContainerSpec{Name: "n", Image: "i", MacAddress: "88:75:56:ef:3e:d6"}
	for _, tt := range []struct {
		api        string
		inConfig   bool
		inEndpoint bool
	}{
		{"1.41", true, false},
		{"1.43", true, false},
		{"1.44", false, true},
		{"1.47", false, true},
	} {
		cfg, _, nc := dockerConfig(spec, tt.api, KindDockerEngine)
		//lint:ignore SA1019 checking the pre-1.44 place
		gotConfig := cfg.MacAddress == spec.MacAddress
		gotEndpoint := nc != nil && nc.EndpointsConfig["bridge"] != nil && nc.EndpointsConfig["bridge"].MacAddress == spec.MacAddress
		if gotConfig != tt.inConfig || gotEndpoint != tt.inEndpoint {
			t.Errorf("API %s: MAC in config=%v endpoint=%v, want %v/%v", tt.api, gotConfig, gotEndpoint, tt.inConfig, tt.inEndpoint)
		}
	}
}

// Podman 4.3's compat API (API 1.41) ignores the config's MAC address and
// knows no network named "bridge" at create: only its own default network's
// endpoint sets it (recorded against podman 4.3.1, rootful and rootless).
func TestDockerConfigMACOnPodman(t *testing.T) {
	spec := ContainerSpec{Name: "n", Image: "i", MacAddress: "88:75:56:ef:3e:d6", UsernsMode: "keep-id"}
	_, hc, nc := dockerConfig(spec, "1.41", KindPodman)
	if nc == nil || nc.EndpointsConfig["podman"] == nil || nc.EndpointsConfig["podman"].MacAddress != spec.MacAddress || len(nc.EndpointsConfig) != 1 {
		t.Errorf("endpoints = %+v, want only podman with the MAC", nc)
	}
	if hc.UsernsMode != "keep-id" {
		t.Errorf("userns = %q", hc.UsernsMode)
	}
}

func TestDockerConfigTranslation(t *testing.T) {
	spec := ContainerSpec{
		Name: "neurodeskapp", Image: "img", User: "root", Privileged: true, ShmSize: 1 << 30,
		Publish: []PortBinding{{ContainerPort: 8888, HostIP: "127.0.0.1", HostPort: 49152}},
		Mounts:  []Mount{{Source: "/home/a b/ü", Target: "/neurodesktop-storage"}, {Volume: true, Source: "neurodesk-home", Target: "/home/jovyan"}},
		GPU:     true, NanoCPU: 2e9, Memory: 8 << 30, SecurityOpt: []string{"apparmor=unconfined"},
	}
	cfg, hc, _ := dockerConfig(spec, "1.41", KindDockerEngine)
	b := hc.PortBindings["8888/tcp"]
	if len(b) != 1 || b[0].HostIP != "127.0.0.1" || b[0].HostPort != "49152" {
		t.Errorf("port bindings %v", hc.PortBindings)
	}
	if _, ok := cfg.ExposedPorts["8888/tcp"]; !ok {
		t.Error("8888 not exposed")
	}
	if hc.Mounts[0].Type != "bind" || hc.Mounts[0].Source != "/home/a b/ü" || hc.Mounts[1].Type != "volume" {
		t.Errorf("mounts %+v", hc.Mounts)
	}
	if len(hc.DeviceRequests) != 1 || hc.DeviceRequests[0].Count != -1 || hc.DeviceRequests[0].Capabilities[0][0] != "gpu" {
		t.Errorf("GPU request %+v", hc.DeviceRequests)
	}
	if hc.NanoCPUs != 2e9 || hc.Memory != 8<<30 || !hc.Privileged || hc.ShmSize != 1<<30 || hc.SecurityOpt[0] != "apparmor=unconfined" {
		t.Errorf("host config %+v", hc)
	}
	_, hc, _ = dockerConfig(ContainerSpec{}, "1.41", KindDockerEngine)
	if hc.DeviceRequests != nil {
		t.Error("GPU requested though not enabled")
	}
}

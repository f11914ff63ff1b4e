/* libFuzzer target: Proxmox VE qemu-server configs and pci.cfg mappings, through the pure
 * pve_config_parse() (collectors/pve.h); no file is read. The input is NUL-separated: the first
 * part is pci.cfg, each further part one VM's .conf (vmid 100, 101, ...). */
#include <stdbool.h>

#include "fuzz_common.h"
#include "pve.h"

#define FUZZ_PVE_VMS 8

static void
skip(void *arg, const char *what, int err)
{
	size_t *n = arg;

	*n += strlen(what) + (err > 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const devices[] = {"0000:00:02.0", "0000:00:02.1", "0000:00:02.2",
					      "0000:03:00.0", "0000:03:00.1", "0000:01:00.0"};
	struct pve_input_vm vms[FUZZ_PVE_VMS];
	struct pve_input in = {0};
	struct pve_config *c = NULL;
	size_t nskip = 0, nvms = 0;
	const char *p, *end, *nul;
	char *buf;
	char machine[64];

	if (size > FUZZ_MAX_INPUT)
		size = FUZZ_MAX_INPUT;
	buf = fuzz_memdup(data, size);
	p = buf;
	end = buf + size;
	nul = memchr(p, '\0', (size_t)(end - p));
	in.node = "pve";
	in.mapping_text = p;
	in.mapping_len = (size_t)((nul ? nul : end) - p);
	p = nul ? nul + 1 : end;
	while (nul && nvms < FUZZ_PVE_VMS) {
		nul = memchr(p, '\0', (size_t)(end - p));
		vms[nvms].vmid = 100 + (unsigned)nvms;
		vms[nvms].text = p;
		vms[nvms].len = (size_t)((nul ? nul : end) - p);
		nvms++;
		p = nul ? nul + 1 : end;
	}
	in.vms = vms;
	in.nvms = nvms;
	in.devices = devices;
	in.ndevices = sizeof(devices) / sizeof(devices[0]);

	if (pve_config_parse(&in, &c, skip, &nskip) == 0 && c) {
		for (size_t i = 0; i < c->nvms; i++) {
			const struct pve_vm *vm = &c->vms[i];

			pve_machine_type(vm, machine, sizeof(machine));
			for (size_t j = 0; j < vm->nhostpci; j++)
				for (size_t k = 0; k < vm->hostpci[j].naddresses; k++) {
					const char *a = vm->hostpci[j].addresses[k];

					nskip += strlen(a) + vm->hostpci[j].present[k];
					(void)pve_vm_for_address(c, a);
				}
		}
		pve_config_free(c);
	}
	free(buf);
	return 0;
}

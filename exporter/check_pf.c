/* The --check host checks of the PF, its VFs and the VMs that take them: PF driver, VFs against the
 * intended count, their persistence, a VM config passing the PF, machine type q35 for VMs with a
 * VF, IOMMU group isolation. The fixes are the runbook's commands with this host's addresses. */
#include <stdio.h>
#include <string.h>

#include "check_pf.h"
#include "check_read.h"

/* sysfsutils path of a PF's sriov_numvfs: the runbook's form for a root-bus device, the bus link
 * otherwise (the real path of a device behind bridges is not in the collection). */
static void
numvfs_path(const char *bdf, char *buf, size_t size)
{
	if (strncmp(bdf, "0000:00:", 8) == 0)
		(void)snprintf(buf, size, "devices/pci0000:00/%s/sriov_numvfs", bdf);
	else
		(void)snprintf(buf, size, "bus/pci/devices/%s/sriov_numvfs", bdf);
}

/* For the sriov-collector checks: a warning when there is nothing to look at. */
static bool
no_pf(const struct expo *e, struct check_list *pfs, struct check_result *r)
{
	if (check_collector_unusable(e, "sriov", r))
		return true;
	check_list(e, "gpu_sriov_pf_info", pfs);
	if (pfs->n > 0)
		return false;
	check_list_free(pfs);
	check_set(r, CHECK_WARN, "not checked: no SR-IOV GPU PF found (see the PF driver check)");
	return true;
}

void
check_pf_driver_eval(const struct expo *e, struct check_result *r)
{
	struct check_driver d;
	struct check_list pfs, assigned;

	if (check_collector_unusable(e, "sriov", r))
		return;
	check_driver(e, &d);
	check_list(e, "gpu_sriov_pf_info", &pfs);
	if (pfs.n == 0) {
		check_set(r, CHECK_FAIL,
			  "no SR-IOV GPU PF found (no display function with sriov_totalvfs): the "
			  "GPU driver is not loaded, or SR-IOV is off in the BIOS");
		check_fix(r, "enable VT-d and SR-IOV in the BIOS; see the module and DKMS checks");
		check_list_free(&pfs);
		return;
	}
	check_list(e, "gpu_sriov_vm_pf_assigned", &assigned);
	for (size_t i = 0; i < pfs.n; i++) {
		const char *bdf = check_label(&pfs.v[i], "pci_address");
		const char *drv = check_label(&pfs.v[i], "driver");
		if (check_pf_value(e, "gpu_sriov_pf_driver_ok", bdf, 0) == 1) {
			check_add(r, "%s on %s", bdf, drv);
			continue;
		}
		check_raise(r, CHECK_FAIL);
		check_add(r, "%s is %s%s: VFs need the PF on i915 or xe", bdf,
			  drv[0] != '\0' ? "on " : "unbound", drv);
		for (size_t j = 0; j < assigned.n; j++) {
			if (strcmp(check_label(&assigned.v[j], "pci_address"), bdf) == 0)
				check_fix(r, "qm stop %s", check_label(&assigned.v[j], "vmid"));
		}
		if (drv[0] != '\0')
			check_fix(r, "echo %s > /sys/bus/pci/drivers/%s/unbind", bdf, drv);
		check_fix(r, "echo %s > /sys/bus/pci/drivers/%s/bind", bdf, d.intended);
	}
	check_list_free(&assigned);
	check_list_free(&pfs);
}

void
check_vfs_eval(const struct expo *e, struct check_result *r)
{
	struct check_list pfs;

	if (no_pf(e, &pfs, r))
		return;
	for (size_t i = 0; i < pfs.n; i++) {
		const char *bdf = check_label(&pfs.v[i], "pci_address");
		double on = check_pf_value(e, "gpu_sriov_vfs_enabled", bdf, 0);
		double want = check_pf_value(e, "gpu_sriov_vfs_expected", bdf, -1);
		double offered = check_pf_value(e, "gpu_sriov_vfs_supported", bdf, 0);
		if (want < 0 && on > 0) {
			check_add(r, "%s: %.0f VFs (intended count unknown, see the persistence check)",
				  bdf, on);
			continue;
		}
		if (on == want && on > 0) {
			check_add(r, "%s: %.0f of %.0f intended VFs", bdf, on, want);
			continue;
		}
		if (on > want) {
			check_raise(r, CHECK_WARN);
			check_add(r, "%s: %.0f VFs, more than the %.0f intended", bdf, on, want);
			continue;
		}
		unsigned target = check_wanted_vfs(e, bdf); /* on < want: want, or the runbook's */
		check_raise(r, CHECK_FAIL);
		if (want < 0)
			check_add(r, "%s: no VFs", bdf);
		else if (want == 0)
			check_add(r, "%s: no VFs, and the intended count is 0", bdf);
		else
			check_add(r, "%s: %.0f of %.0f intended VFs", bdf, on, want);
		if (offered < target) {
			check_add(r, "the PF offers %.0f (sriov_totalvfs: stock i915 or max_vfs unset, "
				     "see the module and command line checks)",
				  offered);
			continue;
		}
		if (check_pf_value(e, "gpu_sriov_pf_driver_ok", bdf, 0) != 1) {
			check_add(r, "the PF is not on its driver (see the PF driver check)");
			continue;
		}
		if (on > 0)
			check_fix(r, "echo 0 > /sys/bus/pci/devices/%s/sriov_numvfs", bdf);
		check_fix(r, "echo %u > /sys/bus/pci/devices/%s/sriov_numvfs", target, bdf);
	}
	check_list_free(&pfs);
}

void
check_persist_eval(const struct expo *e, struct check_result *r)
{
	struct check_list pfs, sources;
	char path[96];

	if (no_pf(e, &pfs, r))
		return;
	check_list(e, "gpu_sriov_vfs_expected_source_info", &sources);
	for (size_t i = 0; i < pfs.n; i++) {
		const char *bdf = check_label(&pfs.v[i], "pci_address");
		const struct expo_series *s = check_find(&sources, "pci_address", bdf);
		const char *source = s != NULL ? check_label(s, "source") : NULL;
		if (source != NULL && strcmp(source, "flag") != 0) {
			check_add(r, "%s: %.0f VFs from %s", bdf,
				  check_pf_value(e, "gpu_sriov_vfs_expected", bdf, 0), source);
			continue;
		}
		check_raise(r, CHECK_WARN);
		if (source != NULL)
			check_add(r, "%s: the count comes only from --sriov.expected-vfs; nothing "
				     "re-creates the VFs at boot",
				  bdf);
		else
			check_add(r, "%s: no sysfs.conf, tmpfiles.d or udev line sets sriov_numvfs; "
				     "the VFs will not come back after a reboot",
				  bdf);
		numvfs_path(bdf, path, sizeof(path));
		check_fix(r, "apt install sysfsutils && echo '%s = %u' >> /etc/sysfs.conf", path,
			  check_wanted_vfs(e, bdf));
	}
	check_list_free(&sources);
	check_list_free(&pfs);
}

/* Proxmox checks: false (r set) when there is nothing to look at. */
static bool
proxmox_usable(const struct expo *e, struct check_result *r)
{
	double n;

	if (check_collector_unusable(e, "proxmox", r))
		return false;
	if (!check_value(e, "gpu_sriov_vms_configured", NULL, NULL, &n)) {
		check_set(r, CHECK_PASS, "no Proxmox VE VM configs on this host");
		return false;
	}
	return true;
}

/* The hostpciN key of vmid that names bdf, "hostpci0" when not found. */
static const char *
hostpci_key(const struct check_list *hostpci, const char *vmid, const char *bdf)
{
	for (size_t i = 0; i < hostpci->n; i++) {
		if (strcmp(check_label(&hostpci->v[i], "vmid"), vmid) == 0 &&
		    strcmp(check_label(&hostpci->v[i], "pci_address"), bdf) == 0)
			return check_label(&hostpci->v[i], "hostpci");
	}
	return "hostpci0";
}

void
check_pf_vm_eval(const struct expo *e, struct check_result *r)
{
	struct check_list assigned, hostpci, vfs;
	double n = 0;

	if (!proxmox_usable(e, r))
		return;
	(void)check_value(e, "gpu_sriov_vms_configured", NULL, NULL, &n);
	check_list(e, "gpu_sriov_vm_pf_assigned", &assigned);
	if (assigned.n == 0) {
		check_set(r, CHECK_PASS, "%.0f VM config%s, none passes a PF", n, n == 1 ? "" : "s");
		check_list_free(&assigned);
		return;
	}
	check_list(e, "gpu_sriov_vm_hostpci_info", &hostpci);
	check_list(e, "gpu_sriov_vf_info", &vfs);
	const char *free_vf = NULL;
	for (size_t i = 0; i < vfs.n && free_vf == NULL; i++) {
		if (check_label(&vfs.v[i], "vmid")[0] == '\0')
			free_vf = check_label(&vfs.v[i], "pci_address");
	}
	r->status = CHECK_FAIL;
	for (size_t i = 0; i < assigned.n; i++) {
		const char *vmid = check_label(&assigned.v[i], "vmid");
		const char *bdf = check_label(&assigned.v[i], "pci_address");
		const char *key = hostpci_key(&hostpci, vmid, bdf);
		check_add(r, "VM %s passes the PF %s (%s): starting it moves the PF to vfio-pci and "
			     "disables every VF",
			  vmid, bdf, key);
		if (free_vf != NULL)
			check_fix(r, "qm set %s -%s %s,pcie=1", vmid, key, free_vf);
		else
			check_fix(r, "qm set %s -delete %s", vmid, key);
	}
	check_list_free(&vfs);
	check_list_free(&hostpci);
	check_list_free(&assigned);
}

/* Whether bdf is a VF: one the sriov collector lists, or (VFs not enabled now) another function
 * of a PF's slot, as the runbook's 00:02.1-00:02.7 are of 00:02.0. */
static bool
is_vf(const struct check_list *vfs, const struct check_list *pfs, const char *bdf)
{
	if (check_find(vfs, "pci_address", bdf) != NULL)
		return true;
	for (size_t i = 0; i < pfs->n; i++) {
		const char *pf = check_label(&pfs->v[i], "pci_address");
		size_t slot = strlen(pf) > 2 ? strlen(pf) - 2 : 0; /* "DDDD:BB:DD" before ".F" */
		if (slot > 0 && strncmp(pf, bdf, slot) == 0 && bdf[slot] == '.' && strcmp(pf, bdf) != 0)
			return true;
	}
	return false;
}

void
check_vm_q35_eval(const struct expo *e, struct check_result *r)
{
	struct check_list hostpci, vfs, pfs;
	size_t with_vf = 0;
	const char *last_vm = "";

	if (!proxmox_usable(e, r))
		return;
	check_list(e, "gpu_sriov_vm_hostpci_info", &hostpci);
	check_list(e, "gpu_sriov_vf_info", &vfs);
	check_list(e, "gpu_sriov_pf_info", &pfs);
	for (size_t i = 0; i < hostpci.n; i++) {
		const struct expo_series *s = &hostpci.v[i];
		const char *vmid = check_label(s, "vmid");
		const char *bdf = check_label(s, "pci_address");
		const char *machine = check_label(s, "machine");
		/* One verdict per VM: its entries are adjacent in the sorted collection. */
		if (strcmp(vmid, last_vm) == 0 || !is_vf(&vfs, &pfs, bdf))
			continue;
		last_vm = vmid;
		with_vf++;
		if (strstr(machine, "q35") != NULL)
			continue;
		check_raise(r, CHECK_FAIL);
		check_add(r, "VM %s (%s) takes the VF %s with machine type %s; PCIe passthrough "
			     "needs q35",
			  vmid, check_label(s, "name"), bdf, machine);
		check_fix(r, "qm stop %s && qm set %s -machine q35 && qm start %s", vmid, vmid, vmid);
	}
	if (r->status == CHECK_PASS && with_vf == 0)
		check_set(r, CHECK_PASS, "no VM config takes a VF");
	else if (r->status == CHECK_PASS)
		check_set(r, CHECK_PASS, "%zu VM%s take%s VFs, all on q35", with_vf,
			  with_vf == 1 ? "" : "s", with_vf == 1 ? "s" : "");
	check_list_free(&pfs);
	check_list_free(&vfs);
	check_list_free(&hostpci);
}

void
check_iommu_groups_eval(const struct expo *e, struct check_result *r)
{
	struct check_list groups, pfs;

	if (no_pf(e, &pfs, r))
		return;
	check_list_free(&pfs);
	check_list(e, "gpu_sriov_device_iommu_group_size", &groups);
	if (groups.n == 0) {
		check_set(r, CHECK_WARN, "not checked: no GPU function is in an IOMMU group (see the "
					 "IOMMU check)");
		check_list_free(&groups);
		return;
	}
	for (size_t i = 0; i < groups.n; i++) {
		if (groups.v[i].value <= 1)
			continue;
		check_raise(r, CHECK_WARN);
		check_add(r, "%s shares its IOMMU group with %.0f other devices: passing it to a VM "
			     "takes them too",
			  check_label(&groups.v[i], "pci_address"), groups.v[i].value - 1);
	}
	if (r->status == CHECK_PASS)
		check_set(r, CHECK_PASS, "%zu GPU function%s, each in an IOMMU group of its own",
			  groups.n, groups.n == 1 ? "" : "s");
	else
		check_fix(r, "enable ACS/ARI in the BIOS if it has the options; do not pass a "
			     "function whose group holds other devices");
	check_list_free(&groups);
}

/* Unit tests for pve.c, the Proxmox VE VM config parser: hostpci property strings in every form
 * qemu-server accepts and many it rejects, the main-section cut, description lines, PCI mappings
 * for the local node only, function-less expansion, limits, garbage, and pve_config_load() on
 * private trees under mkdtemp() and on the pve_* fixture scenarios; the cache (pve_cache_load())
 * with each kind of change between two loads, counting file reads (sysfs_read_file is wrapped at
 * link time, -Wl,--wrap=sysfs_read_file) so that a load that should read nothing is seen to. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
/* cmocka.h needs the headers above. */
#include <cmocka.h>

#include "collectors.h"
#include "pve.h"
#include "sysfs.h"
#include "testlib.h"

ssize_t __real_sysfs_read_file(int dirfd, const char *rel, size_t max, char **ret);
ssize_t __wrap_sysfs_read_file(int dirfd, const char *rel, size_t max, char **ret);

/* Whole-file reads pve.c made: VM configs and the mapping file. */
static unsigned file_reads;

ssize_t
__wrap_sysfs_read_file(int dirfd, const char *rel, size_t max, char **ret)
{
	file_reads++;
	return __real_sysfs_read_file(dirfd, rel, max, ret);
}

/* What the parser reported through skip(). */
struct skips {
	int n;
	int last_err;
	char last[256];
};

static void
record_skip(void *arg, const char *what, int err)
{
	struct skips *s = arg;

	assert_non_null(what);
	assert_true(err > 0);
	s->n++;
	s->last_err = err;
	(void)snprintf(s->last, sizeof(s->last), "%s", what);
}

/* Functions present on the fake host: the iGPU PF, its 7 VFs and a USB controller. */
static const char *const host_devices[] = {
    "0000:00:02.3", "0000:00:02.0", "0000:00:02.1", "0000:00:02.2", "0000:00:02.4",
    "0000:00:02.5", "0000:00:02.6", "0000:00:02.7", "0000:00:14.0",
};

static const char mappings[] = "# written by the GUI\n"
                               "igpu-vf\n"
                               "\tdescription VF for VM 101\n"
                               "\tmap node=pve,path=0000:00:02.1,id=8086:46d4,iommugroup=2\n"
                               "\tmap node=other,path=0000:00:02.2,id=8086:46d4,iommugroup=3\n"
                               "\n"
                               "igpu-pool\n"
                               "\tmap node=pve,path=0000:00:02.4,id=8086:46d4,iommugroup=5\n"
                               "\tmap node=pve,path=0000:00:02.5;0000:00:02.6,id=8086:46d4,"
                               "iommugroup=6,subsystem-id=8086:2212,description=pair\n"
                               "\n"
                               "remote-only\n"
                               "\tmap node=other,path=0000:00:02.7,id=8086:46d4,iommugroup=8\n";

static struct pve_config *
parse_full(const struct pve_input_vm *vms, size_t nvms, const char *node, const char *maps,
           struct skips *s)
{
	struct pve_config *c = NULL;
	struct pve_input in = {
	    .node = node,
	    .mapping_text = maps,
	    .mapping_len = maps != NULL ? strlen(maps) : 0,
	    .vms = vms,
	    .nvms = nvms,
	    .devices = host_devices,
	    .ndevices = sizeof(host_devices) / sizeof(host_devices[0]),
	};

	memset(s, 0, sizeof(*s));
	assert_int_equal(pve_config_parse(&in, &c, record_skip, s), 0);
	assert_non_null(c);
	assert_true(c->found);
	return c;
}

/* One VM 100 with the given config text, node "pve", the mappings above. */
static struct pve_config *
parse_text(const char *text, struct skips *s)
{
	struct pve_input_vm vm = {100, text, strlen(text)};

	return parse_full(&vm, 1, "pve", mappings, s);
}

/* The single hostpci entry of a one-VM config (fails when there is not exactly one). */
static const struct pve_hostpci *
only_entry(const struct pve_config *c)
{
	assert_int_equal(c->nvms, 1);
	assert_int_equal(c->vms[0].nhostpci, 1);
	return &c->vms[0].hostpci[0];
}

static void
assert_addresses(const struct pve_hostpci *h, const char *const *want, size_t n)
{
	assert_int_equal(h->naddresses, n);
	for (size_t i = 0; i < n; i++)
		assert_string_equal(h->addresses[i], want[i]);
}

#define ASSERT_ADDRESSES(h, ...)                                                                   \
	assert_addresses((h), (const char *const[]){__VA_ARGS__},                                  \
	                 sizeof((const char *const[]){__VA_ARGS__}) / sizeof(const char *))

static void
test_full_address(void **state)
{
	struct skips s;
	(void)state;

	struct pve_config *c = parse_text("hostpci0: 0000:00:02.1,pcie=1\n", &s);
	const struct pve_hostpci *h = only_entry(c);
	assert_int_equal(s.n, 0);
	assert_int_equal(h->index, 0);
	assert_string_equal(h->raw, "0000:00:02.1,pcie=1");
	ASSERT_ADDRESSES(h, "0000:00:02.1");
	assert_true(h->present[0]);
	assert_true(h->pcie);
	assert_false(h->whole_device);
	assert_string_equal(h->mapping, "");
	pve_config_free(c);
}

static void
test_domain_implied(void **state)
{
	struct skips s;
	(void)state;

	struct pve_config *c = parse_text("hostpci3: 00:02.2\n", &s);
	const struct pve_hostpci *h = only_entry(c);
	assert_int_equal(h->index, 3);
	ASSERT_ADDRESSES(h, "0000:00:02.2");
	assert_false(h->pcie);
	pve_config_free(c);

	/* Upper case hex and an explicit host= key normalise to the kernel's spelling. */
	c = parse_text("hostpci0: host=0000:00:02.A\n", &s);
	ASSERT_ADDRESSES(only_entry(c), "0000:00:02.a");
	assert_false(only_entry(c)->present[0]);
	pve_config_free(c);

	/* A domain wider than four digits (VMD) is kept as written. */
	c = parse_text("hostpci0: 10000:e1:00.0\n", &s);
	ASSERT_ADDRESSES(only_entry(c), "10000:e1:00.0");
	assert_int_equal(s.n, 0);
	pve_config_free(c);
}

static void
test_whole_device(void **state)
{
	struct skips s;
	(void)state;

	/* All functions present, sorted although the device list is not. */
	struct pve_config *c = parse_text("hostpci0: 00:02,pcie=1,x-vga=1\n", &s);
	const struct pve_hostpci *h = only_entry(c);
	assert_true(h->whole_device);
	ASSERT_ADDRESSES(h, "0000:00:02.0", "0000:00:02.1", "0000:00:02.2", "0000:00:02.3",
	                 "0000:00:02.4", "0000:00:02.5", "0000:00:02.6", "0000:00:02.7");
	for (size_t i = 0; i < h->naddresses; i++)
		assert_true(h->present[i]);
	pve_config_free(c);

	/* A device with no function on this host stays visible, without a function. */
	c = parse_text("hostpci0: 0000:03:00\n", &s);
	h = only_entry(c);
	assert_true(h->whole_device);
	ASSERT_ADDRESSES(h, "0000:03:00");
	assert_false(h->present[0]);
	pve_config_free(c);

	/* 00:14 must not match 00:14.0's neighbours or longer names. */
	c = parse_text("hostpci0: 00:14\n", &s);
	ASSERT_ADDRESSES(only_entry(c), "0000:00:14.0");
	pve_config_free(c);
}

static void
test_alternatives(void **state)
{
	struct skips s;
	(void)state;

	struct pve_config *c = parse_text("hostpci0: 0000:00:02.1;0000:00:02.2,pcie=1\n", &s);
	ASSERT_ADDRESSES(only_entry(c), "0000:00:02.1", "0000:00:02.2");
	pve_config_free(c);

	/* Repeats collapse; a trailing ';' is ignored as Perl's split does. */
	c = parse_text("hostpci0: 0000:00:02.1;00:02.1;00:02.3;\n", &s);
	ASSERT_ADDRESSES(only_entry(c), "0000:00:02.1", "0000:00:02.3");
	assert_int_equal(s.n, 0);
	pve_config_free(c);

	/* Mixed: a missing one keeps its place, marked absent. */
	c = parse_text("hostpci0: 0000:00:02.4;0000:04:00.0\n", &s);
	const struct pve_hostpci *h = only_entry(c);
	ASSERT_ADDRESSES(h, "0000:00:02.4", "0000:04:00.0");
	assert_true(h->present[0]);
	assert_false(h->present[1]);
	pve_config_free(c);
}

static void
test_all_keys(void **state)
{
	struct skips s;
	(void)state;

	struct pve_config *c =
	    parse_text("hostpci15: host=00:02.6,pcie=on,x-vga=no,rombar=TRUE,romfile=vbios.bin,"
	               "legacy-igd=0,mdev=i915-GVTg_V5_4,vendor-id=0x8086,device-id=0x46D4,"
	               "sub-vendor-id=0x1234,sub-device-id=0xabcd,driver=keep\n",
	               &s);
	const struct pve_hostpci *h = only_entry(c);
	assert_int_equal(s.n, 0);
	assert_int_equal(h->index, 15);
	assert_true(h->pcie);
	ASSERT_ADDRESSES(h, "0000:00:02.6");
	pve_config_free(c);

	c = parse_text("hostpci0: 00:02.6,driver=vfio,pcie=0\n", &s);
	assert_false(only_entry(c)->pcie);
	pve_config_free(c);
}

/* Values qemu-server refuses: the entry is dropped and reported once. */
static void
test_invalid_entries(void **state)
{
	static const char *const bad[] = {
	    "host=00:02.1,mapping=igpu-vf", /* both */
	    "pcie=1",                       /* neither */
	    "pcie=1,x-vga=1",               /* neither */
	    "00:02.1,00:02.2",              /* host twice */
	    "00:02.1,host=00:02.2",         /* host twice */
	    "00:02.1,pcie=1,pcie=0",        /* duplicate key */
	    "00:02.1,foo=1",                /* unknown key */
	    "00:02.1,PCIE=1",               /* keys are case-sensitive */
	    "00:02.1, pcie=1",              /* " pcie" is not a key */
	    "00:02.1 ,pcie=1",              /* nor "00:02.1 " an id */
	    "00:02.1,pcie=2",               /* not a boolean */
	    "00:02.1,pcie=",                /* empty value */
	    "00:02.1,=1",                   /* empty key */
	    "00:02.1,vendor-id=8086",       /* needs 0x and four digits */
	    "00:02.1,device-id=0x46d",      /* */
	    "00:02.1,device-id=0x46d44",    /* */
	    "00:02.1,driver=nvidia",        /* vfio or keep */
	    "mapping=-igpu",                /* not a config id */
	    "mapping=i",                    /* too short for one */
	    "mapping=igpu vf",              /* */
	    "zz:02.1",                      /* not hex */
	    "00:2.1",                       /* one-digit device */
	    "00:02.",                       /* function missing */
	    "00:02.10",                     /* two-digit function */
	    "000:00:02.1",                  /* three-digit domain */
	    "000000000:00:02.1",            /* nine-digit domain */
	    "0000:00:02.1:3",               /* too many parts */
	    "0000",                         /* not an id */
	    ";",                            /* no id at all */
	    "00:02.1;garbage",              /* one bad alternative spoils the entry */
	    "\x01\x02\xff\xfe",             /* binary */
	};
	char text[512];
	struct skips s;
	(void)state;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		(void)snprintf(text, sizeof(text), "name: vm\nhostpci2: %s\nmemory: 2048\n",
		               bad[i]);
		struct pve_config *c = parse_text(text, &s);
		assert_int_equal(c->nvms, 1);
		if (c->vms[0].nhostpci != 0 || s.n != 1)
			fail_msg("accepted or not reported once: \"%s\" (skips %d)", bad[i], s.n);
		assert_string_equal(s.last, "etc/pve/qemu-server/100.conf: hostpci2");
		assert_int_equal(s.last_err, EINVAL);
		assert_string_equal(c->vms[0].name, "vm");
		pve_config_free(c);
	}
}

/* Lines that are not "key: value" at all, and keys that are not hostpci0..15. */
static void
test_invalid_lines(void **state)
{
	static const char *const bad[] = {
	    "hostpci0:",          /* no value */
	    "hostpci0:    ",      /* no value */
	    "hostpci0 00:02.1",   /* no colon */
	    "Hostpci0: 00:02.1",  /* keys are lower case */
	    "hostpci16: 00:02.1", /* qemu-server has 0..15 */
	    "hostpci01: 00:02.1", /* not a key qemu-server knows */
	    "hostpci: 00:02.1",   /* */
	    ": 00:02.1",          /* */
	    "\x80\x81: 00:02.1",  /* */
	    "hostpci0\x01: x",    /* */
	};
	char text[256];
	struct skips s;
	(void)state;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		(void)snprintf(text, sizeof(text), "cores: 2\n%s\nname: ok\n", bad[i]);
		struct pve_config *c = parse_text(text, &s);
		if (c->vms[0].nhostpci != 0 || s.n != 1)
			fail_msg("accepted or not reported once: \"%s\" (skips %d)", bad[i], s.n);
		assert_string_equal(s.last, "etc/pve/qemu-server/100.conf:2");
		assert_string_equal(c->vms[0].name, "ok");
		pve_config_free(c);
	}
}

static void
test_main_section_only(void **state)
{
	static const char *const sections[] = {"[snapshot1]",         "[PENDING]",
	                                       "[special:cloudinit]", "[special:fleecing]",
	                                       "  [indented]",        "[x"};
	char text[512];
	struct skips s;
	(void)state;

	for (size_t i = 0; i < sizeof(sections) / sizeof(sections[0]); i++) {
		(void)snprintf(text, sizeof(text),
		               "hostpci0: 0000:00:02.1,pcie=1\nmachine: q35\nname: main\n\n%s\n"
		               "hostpci0: 0000:00:02.0\nhostpci1: 00:02\nmachine: pc-i440fx-8.1\n"
		               "name: stale\nthis is not even a key\n",
		               sections[i]);
		struct pve_config *c = parse_text(text, &s);
		const struct pve_hostpci *h = only_entry(c);
		ASSERT_ADDRESSES(h, "0000:00:02.1");
		assert_string_equal(c->vms[0].machine, "q35");
		assert_string_equal(c->vms[0].name, "main");
		assert_int_equal(s.n, 0);
		pve_config_free(c);
	}
}

static void
test_description_lines(void **state)
{
	struct skips s;
	(void)state;

	struct pve_config *c = parse_text("#Frigate NVR\n"
	                                  "#hostpci0: 0000:00:02.0\n"
	                                  "   # hostpci1: 00:02\n"
	                                  "#[snapshot]\n"
	                                  "#\n"
	                                  "hostpci2: 00:02.7\n"
	                                  "name: frigate\n",
	                                  &s);
	const struct pve_hostpci *h = only_entry(c);
	assert_int_equal(h->index, 2);
	ASSERT_ADDRESSES(h, "0000:00:02.7");
	assert_string_equal(c->vms[0].name, "frigate");
	assert_int_equal(s.n, 0);
	pve_config_free(c);
}

static void
test_repeated_key_last_wins(void **state)
{
	struct skips s;
	(void)state;

	struct pve_config *c =
	    parse_text("hostpci1: 00:02.1\nname: a\nhostpci1: 00:02.2\nname: b\n", &s);
	ASSERT_ADDRESSES(only_entry(c), "0000:00:02.2");
	assert_string_equal(c->vms[0].name, "b");
	pve_config_free(c);

	/* A repeat without host or mapping is stored by qemu-server (and fails at VM start). */
	c = parse_text("hostpci1: 00:02.1\nhostpci1: pcie=1\n", &s);
	assert_int_equal(c->vms[0].nhostpci, 0);
	assert_int_equal(s.n, 1);
	pve_config_free(c);
	c = parse_text("hostpci1: 00:02.1\nhostpci1: host=00:02.2,mapping=igpu-vf\n", &s);
	assert_int_equal(c->vms[0].nhostpci, 0);
	assert_int_equal(s.n, 1);
	pve_config_free(c);

	/* A repeat its schema rejects is never stored: the earlier value stays. */
	static const char *const rejected[] = {"00:02.2,foo=1", "zz:02.2", "00:02.2,pcie=maybe",
					       "mapping=-x", "00:02.2,,pcie=1,pcie=0"};
	char text[128];
	for (size_t i = 0; i < sizeof(rejected) / sizeof(rejected[0]); i++) {
		(void)snprintf(text, sizeof(text), "hostpci1: 00:02.1\nhostpci1: %s\n", rejected[i]);
		c = parse_text(text, &s);
		ASSERT_ADDRESSES(only_entry(c), "0000:00:02.1");
		assert_int_equal(s.n, 1);
		pve_config_free(c);
	}
}

static void
test_entries_sorted_by_index(void **state)
{
	struct skips s;
	(void)state;

	struct pve_config *c = parse_text("hostpci10: 00:02.3\r\n"
	                                  "hostpci2: 00:02.2\r\n"
	                                  "hostpci0: 00:02.1 \t\r\n"
	                                  "\t hostpci7: 00:02.4\n",
	                                  &s);
	assert_int_equal(s.n, 0);
	assert_int_equal(c->vms[0].nhostpci, 4);
	assert_int_equal(c->vms[0].hostpci[0].index, 0);
	assert_int_equal(c->vms[0].hostpci[1].index, 2);
	assert_int_equal(c->vms[0].hostpci[2].index, 7);
	assert_int_equal(c->vms[0].hostpci[3].index, 10);
	ASSERT_ADDRESSES(&c->vms[0].hostpci[0], "0000:00:02.1");
	pve_config_free(c);
}

static void
test_machine_type(void **state)
{
	static const struct {
		const char *text, *want;
	} cases[] = {
	    {"name: x\n", "i440fx"},
	    {"machine: q35\n", "q35"},
	    {"machine: pc-q35-9.0+pve1\n", "pc-q35-9.0+pve1"},
	    {"machine: q35,viommu=intel\n", "q35"},
	    {"machine: viommu=virtio,type=pc-q35-8.1\n", "pc-q35-8.1"},
	    {"machine: pc-i440fx-8.1\n", "pc-i440fx-8.1"},
	    {"machine: pc\n", "pc"},
	    {"arch: aarch64\n", "virt"},
	    {"arch: x86_64\n", "i440fx"},
	    {"machine: viommu=intel\n", "i440fx"},
	    {"machine: q35,q35\n", "q35,q35"}, /* unparsable: as written */
	};
	char buf[64];
	struct skips s;
	(void)state;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct pve_config *c = parse_text(cases[i].text, &s);
		pve_machine_type(&c->vms[0], buf, sizeof(buf));
		assert_string_equal(buf, cases[i].want);
		pve_config_free(c);
	}
	struct pve_config *c = parse_text("machine: q35\n", &s);
	assert_string_equal(c->vms[0].machine, "q35");
	pve_machine_type(&c->vms[0], buf, 3);
	assert_string_equal(buf, "q3");
	pve_config_free(c);
}

static void
test_mapping_local_node(void **state)
{
	struct skips s;
	(void)state;

	struct pve_config *c = parse_text("hostpci0: mapping=igpu-vf,pcie=1\n", &s);
	const struct pve_hostpci *h = only_entry(c);
	assert_int_equal(s.n, 0);
	assert_string_equal(h->mapping, "igpu-vf");
	ASSERT_ADDRESSES(h, "0000:00:02.1"); /* not node "other"'s 02.2 */
	assert_true(h->present[0]);
	assert_true(h->pcie);
	assert_string_equal(c->node, "pve");
	pve_config_free(c);

	/* Every alternative of this node counts, including ';' lists inside one map line. */
	c = parse_text("hostpci0: mapping=igpu-pool\n", &s);
	ASSERT_ADDRESSES(only_entry(c), "0000:00:02.4", "0000:00:02.5", "0000:00:02.6");
	pve_config_free(c);

	/* Only another node has it, or nobody: kept, with no address. */
	c = parse_text("hostpci0: mapping=remote-only\nhostpci1: mapping=nonexistent\n", &s);
	assert_int_equal(c->vms[0].nhostpci, 2);
	assert_int_equal(c->vms[0].hostpci[0].naddresses, 0);
	assert_string_equal(c->vms[0].hostpci[0].mapping, "remote-only");
	assert_int_equal(c->vms[0].hostpci[1].naddresses, 0);
	assert_int_equal(s.n, 0);
	pve_config_free(c);

	/* Seen from node "other". */
	struct pve_input_vm vm = {100, "hostpci0: mapping=igpu-vf\nhostpci1: mapping=remote-only\n",
	                          0};
	vm.len = strlen(vm.text);
	c = parse_full(&vm, 1, "other", mappings, &s);
	ASSERT_ADDRESSES(&c->vms[0].hostpci[0], "0000:00:02.2");
	ASSERT_ADDRESSES(&c->vms[0].hostpci[1], "0000:00:02.7");
	pve_config_free(c);

	/* Unknown local node or no mapping file: nothing resolves. */
	c = parse_full(&vm, 1, NULL, mappings, &s);
	assert_int_equal(c->vms[0].hostpci[0].naddresses, 0);
	pve_config_free(c);
	c = parse_full(&vm, 1, "pve", NULL, &s);
	assert_int_equal(c->vms[0].hostpci[0].naddresses, 0);
	assert_int_equal(s.n, 0);
	pve_config_free(c);
}

static void
test_mapping_file_garbage(void **state)
{
	static const char maps[] =
	    "\tmap node=pve,path=0000:00:02.3\n" /* 1: outside a section */
	    "bad id!\n"                          /* 2: invalid section id */
	    "\tmap node=pve,path=0000:00:02.3\n" /* ignored with its section */
	    "\n"
	    "gpu\n"
	    "\tmap node=pve\n"                                /* 6: no path */
	    "\tmap path=0000:00:02.3\n"                       /* 7: no node */
	    "\tmap node=pve,path=zz:00.0\n"                   /* 8: bad id */
	    "\tmap node=pve,node=pve,path=0000:00:02.3\n"     /* 9: duplicate key */
	    "\tmap\n"                                         /* 10: no value */
	    "\tmap node=pve,0000:00:02.3\n"                   /* 11: no default key */
	    "\tmap \x01\xff\n"                                /* 12: binary */
	    "\tmap node=pve,path=0000:00:02.5,future-key=1\n" /* fine */
	    "\tlive-migration-capable 1\n"                    /* ignored key */
	    "# gpu2\n"                                        /* comment */
	    "\tmap node=pve,path=00:02.6\n";                  /* fine, same section */
	struct pve_input_vm vm = {100, "hostpci0: mapping=gpu\n", 0};
	struct skips s;
	(void)state;

	vm.len = strlen(vm.text);
	struct pve_config *c = parse_full(&vm, 1, "pve", maps, &s);
	ASSERT_ADDRESSES(only_entry(c), "0000:00:02.5", "0000:00:02.6");
	assert_int_equal(s.n, 9);
	assert_string_equal(s.last, "etc/pve/mapping/pci.cfg:12");
	pve_config_free(c);
}

static void
test_vm_order_and_lookup(void **state)
{
	static const struct {
		unsigned vmid;
		const char *text;
	} in[] = {
	    {205, "hostpci0: 00:02.1;00:02.5\n"},
	    {101, "hostpci0: 00:02.3\n"},
	    {150, "hostpci0: 00:02.7\nhostpci1: 00:02.1\n"},
	    {150, "hostpci0: 00:02.4\n"}, /* the same vmid again */
	    {0, "hostpci0: 00:02.2\n"},   /* never a vmid */
	};
	struct pve_input_vm vms[5];
	struct skips s;
	(void)state;

	for (size_t i = 0; i < 5; i++) {
		vms[i].vmid = in[i].vmid;
		vms[i].text = in[i].text;
		vms[i].len = strlen(in[i].text);
	}
	struct pve_config *c = parse_full(vms, 5, "pve", NULL, &s);
	assert_int_equal(c->nvms, 3);
	assert_int_equal(c->vms[0].vmid, 101);
	assert_int_equal(c->vms[1].vmid, 150);
	assert_int_equal(c->vms[2].vmid, 205);
	assert_int_equal(s.n, 2);
	/* Both 150 and 205 take 02.1: the lowest vmid wins. */
	assert_int_equal(pve_vm_for_address(c, "0000:00:02.1"), 150);
	assert_int_equal(pve_vm_for_address(c, "0000:00:02.5"), 205);
	assert_int_equal(pve_vm_for_address(c, "0000:00:02.3"), 101);
	assert_int_equal(pve_vm_for_address(c, "0000:00:02.7"), 150);
	/* The second 150.conf and vmid 0 were dropped. */
	assert_int_equal(pve_vm_for_address(c, "0000:00:02.4"), 0);
	assert_int_equal(pve_vm_for_address(c, "0000:00:02.2"), 0);
	assert_int_equal(pve_vm_for_address(c, "0000:00:02.0"), 0);
	assert_int_equal(pve_vm_for_address(c, "00:02.1"), 0); /* BDFs must be full */
	assert_int_equal(pve_vm_for_address(c, ""), 0);
	assert_int_equal(pve_vm_for_address(c, NULL), 0);
	assert_int_equal(pve_vm_for_address(NULL, "0000:00:02.1"), 0);
	pve_config_free(c);
	pve_config_free(NULL);
}

static void
test_overlong_lines(void **state)
{
	static const char tail[] = "\nhostpci0: 00:02.1\n";
	size_t len = 0;
	char *text = malloc(2 * PVE_MAX_LINE + sizeof(tail) + 8);
	struct skips s;
	(void)state;

	/* A line of exactly PVE_MAX_LINE bytes is used (name truncated), one more byte skipped. */
	assert_non_null(text);
	memcpy(text, "name: ", 6);
	memset(text + 6, 'x', PVE_MAX_LINE - 6);
	len = PVE_MAX_LINE;
	text[len++] = '\n';
	memset(text + len, 'y', PVE_MAX_LINE + 1);
	len += PVE_MAX_LINE + 1;
	memcpy(text + len, tail, sizeof(tail) - 1);
	len += sizeof(tail) - 1;
	struct pve_input_vm vm = {100, text, len};
	struct pve_config *c = parse_full(&vm, 1, "pve", NULL, &s);
	assert_int_equal(strlen(c->vms[0].name), sizeof(c->vms[0].name) - 1);
	ASSERT_ADDRESSES(only_entry(c), "0000:00:02.1");
	assert_int_equal(s.n, 1);
	assert_int_equal(s.last_err, EFBIG);
	assert_string_equal(s.last, "etc/pve/qemu-server/100.conf:2");
	pve_config_free(c);
	free(text);
}

static void
test_long_values_truncated(void **state)
{
	char text[PVE_MAX_LINE + 64];
	struct skips s;
	(void)state;

	/* 0000:00:02.1 sixty times and more than raw[] holds: one address, raw cut. */
	size_t off = (size_t)snprintf(text, sizeof(text), "hostpci0: ");
	for (int i = 0; i < 60; i++)
		off += (size_t)snprintf(text + off, sizeof(text) - off, "0000:00:02.1;");
	(void)snprintf(text + off, sizeof(text) - off, ",pcie=1\n");
	struct pve_config *c = parse_text(text, &s);
	const struct pve_hostpci *h = only_entry(c);
	assert_int_equal(strlen(h->raw), sizeof(h->raw) - 1);
	ASSERT_ADDRESSES(h, "0000:00:02.1");
	pve_config_free(c);
}

static void
test_address_limit(void **state)
{
	char text[PVE_MAX_LINE];
	struct skips s;
	(void)state;

	/* 70 distinct ids: PVE_MAX_ADDRESSES kept, reported once. */
	size_t off = (size_t)snprintf(text, sizeof(text), "hostpci0: ");
	for (int i = 0; i < 70; i++)
		off += (size_t)snprintf(text + off, sizeof(text) - off, "%s%02x:00.0",
		                        i > 0 ? ";" : "", i);
	(void)snprintf(text + off, sizeof(text) - off, "\n");
	struct pve_config *c = parse_text(text, &s);
	const struct pve_hostpci *h = only_entry(c);
	assert_int_equal(h->naddresses, PVE_MAX_ADDRESSES);
	assert_string_equal(h->addresses[0], "0000:00:00.0");
	assert_string_equal(h->addresses[63], "0000:3f:00.0");
	assert_int_equal(s.n, 1);
	assert_int_equal(s.last_err, E2BIG);
	pve_config_free(c);
}

static void
test_vm_limit(void **state)
{
	size_t n = PVE_MAX_VMS + 100;
	struct pve_input_vm *vms = calloc(n, sizeof(*vms));
	struct skips s;
	(void)state;

	assert_non_null(vms);
	/* Given in descending order: the lowest vmids are the ones kept. */
	for (size_t i = 0; i < n; i++) {
		vms[i].vmid = (unsigned)(100 + n - i);
		vms[i].text = "hostpci0: 00:02.1\n";
		vms[i].len = strlen(vms[i].text);
	}
	struct pve_config *c = parse_full(vms, n, "pve", NULL, &s);
	assert_int_equal(c->nvms, PVE_MAX_VMS);
	assert_int_equal(c->vms[0].vmid, 101);
	assert_int_equal(c->vms[PVE_MAX_VMS - 1].vmid, 100 + PVE_MAX_VMS);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.last_err, E2BIG);
	assert_int_equal(pve_vm_for_address(c, "0000:00:02.1"), 101);
	pve_config_free(c);
	free(vms);
}

/* xorshift: reproducible garbage. */
static uint32_t
next_rand(uint32_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 17;
	*x ^= *x << 5;
	return *x;
}

static void
test_binary_garbage(void **state)
{
	/* Bytes that steer the parser into its interesting states more often than chance. */
	static const char alphabet[] = "hostpci0123456789abcdef:.,;=[]#\n\t \r\xff\x80mapingq";
	char buf[8192], maps[2048];
	struct skips s;
	uint32_t seed = 0x9e3779b9;
	(void)state;

	for (int round = 0; round < 3000; round++) {
		size_t len = next_rand(&seed) % sizeof(buf);
		size_t mlen = next_rand(&seed) % sizeof(maps);
		bool raw = round % 2 == 0;
		for (size_t i = 0; i < len; i++) {
			uint32_t r = next_rand(&seed);
			buf[i] = raw ? (char)r : alphabet[r % (sizeof(alphabet) - 1)];
		}
		for (size_t i = 0; i < mlen; i++) {
			uint32_t r = next_rand(&seed);
			maps[i] = raw ? (char)r : alphabet[r % (sizeof(alphabet) - 1)];
		}
		maps[mlen] = '\0'; /* mapping_len is what counts; the NUL is only a guard */
		struct pve_input_vm vm = {100 + (unsigned)round, buf, len};
		struct pve_input in = {
		    .node = "pve",
		    .mapping_text = maps,
		    .mapping_len = mlen,
		    .vms = &vm,
		    .nvms = 1,
		    .devices = host_devices,
		    .ndevices = sizeof(host_devices) / sizeof(host_devices[0]),
		};
		struct pve_config *c = NULL;
		memset(&s, 0, sizeof(s));
		assert_int_equal(pve_config_parse(&in, &c, record_skip, &s), 0);
		assert_int_equal(c->nvms, 1);
		for (size_t j = 0; j < c->vms[0].nhostpci; j++) {
			const struct pve_hostpci *h = &c->vms[0].hostpci[j];
			assert_true(h->index < PVE_MAX_HOSTPCI);
			assert_true(h->naddresses <= PVE_MAX_ADDRESSES);
			for (size_t k = 0; k < h->naddresses; k++)
				assert_true(strlen(h->addresses[k]) < 32);
		}
		(void)pve_vm_for_address(c, "0000:00:02.1");
		pve_config_free(c);
	}
	/* No skip callback at all must be fine too. */
	struct pve_input_vm vm = {100, "\x00\x01hostpci0: \n[", 13};
	struct pve_input in = {.vms = &vm, .nvms = 1};
	struct pve_config *c = NULL;
	assert_int_equal(pve_config_parse(&in, &c, NULL, NULL), 0);
	assert_int_equal(c->vms[0].nhostpci, 0);
	assert_string_equal(c->node, "");
	pve_config_free(c);
}

/* --- pve_config_load() on private trees --- */

static void
put(int fd, const char *rel, const char *data, size_t len)
{
	char dir[PATH_MAX];

	/* Create the parents first. */
	(void)snprintf(dir, sizeof(dir), "%s", rel);
	for (char *p = strchr(dir, '/'); p != NULL; p = strchr(p + 1, '/')) {
		*p = '\0';
		if (mkdirat(fd, dir, 0755) < 0 && errno != EEXIST)
			fail_msg("mkdir %s: %s", dir, strerror(errno));
		*p = '/';
	}
	if (data == NULL)
		return;
	int f = openat(fd, rel, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	assert_true(f >= 0);
	assert_int_equal(write(f, data, len), (ssize_t)len);
	assert_int_equal(close(f), 0);
}

static void
put_str(int fd, const char *rel, const char *data)
{
	put(fd, rel, data, strlen(data));
}

static void
put_link(int fd, const char *rel, const char *target)
{
	put(fd, rel, NULL, 0);
	assert_int_equal(symlinkat(target, fd, rel), 0);
}

/* A sysfs PCI tree for bdf, laid out as the kernel does it. */
static void
put_pci(int fd, const char *bdf)
{
	char rel[PATH_MAX], target[PATH_MAX];

	(void)snprintf(rel, sizeof(rel), "sys/devices/pci0000:00/%s/class", bdf);
	put_str(fd, rel, "0x030000\n");
	(void)snprintf(rel, sizeof(rel), "sys/bus/pci/devices/%s", bdf);
	(void)snprintf(target, sizeof(target), "../../../devices/pci0000:00/%s", bdf);
	put_link(fd, rel, target);
}

static int
tree_setup(void **state)
{
	return tree_fd_setup(state, "test_pve");
}

static int
sub_fd(const struct tree_fd *t, const char *rel)
{
	int fd = openat(t->fd, rel, O_PATH | O_DIRECTORY | O_CLOEXEC);
	assert_true(fd >= 0);
	return fd;
}

static void
test_load_no_pve(void **state)
{
	struct tree_fd *t = *state;
	struct pve_config *c = NULL;
	struct skips s = {0};

	put(t->fd, "root/etc/", NULL, 0);
	put(t->fd, "sys/", NULL, 0);
	int root = sub_fd(t, "root"), sys = sub_fd(t, "sys");
	assert_int_equal(pve_config_load(root, sys, &c, record_skip, &s), 0);
	assert_false(c->found);
	assert_int_equal(c->nvms, 0);
	assert_int_equal(s.n, 0);
	assert_int_equal(pve_vm_for_address(c, "0000:00:02.1"), 0);
	pve_config_free(c);

	/* etc/pve without qemu-server (pmxcfs not running): a Proxmox host without VMs. */
	put_str(t->fd, "root/etc/hostname", "pve\n");
	put(t->fd, "root/etc/pve/", NULL, 0);
	c = NULL;
	assert_int_equal(pve_config_load(root, sys, &c, record_skip, &s), 0);
	assert_true(c->found);
	assert_int_equal(c->nvms, 0);
	assert_string_equal(c->node, "pve");
	assert_int_equal(s.n, 0);
	pve_config_free(c);

	/* etc/pve as a file is a broken host, not "no Proxmox". */
	(void)close(root);
	put_str(t->fd, "root2/etc/pve", "x");
	root = sub_fd(t, "root2");
	c = NULL;
	assert_int_equal(pve_config_load(root, sys, &c, record_skip, &s), -ENOTDIR);
	assert_null(c);
	(void)close(root);
	(void)close(sys);
}

static void
test_load_tree(void **state)
{
	struct tree_fd *t = *state;
	struct pve_config *c = NULL;
	struct skips s = {0};
	const char *q = "root/etc/pve/nodes/pve/qemu-server/";
	char rel[PATH_MAX];

	put_pci(t->fd, "0000:00:02.0");
	put_pci(t->fd, "0000:00:02.1");
	put_pci(t->fd, "0000:00:02.2");
	put_link(t->fd, "sys/bus/pci/devices/0000:00:02.3", "../../../devices/pci0000:00/gone");
	put_str(t->fd, "root/etc/hostname", "# managed by hand\n\n  pve.example.org  \n");
	put_link(t->fd, "root/etc/pve/qemu-server", "nodes/pve/qemu-server");
	put_str(t->fd, "root/etc/pve/mapping/pci.cfg",
	        "vf\n\tmap node=pve,path=0000:00:02.2\n\tmap node=pve2,path=0000:00:02.1\n");
	(void)snprintf(rel, sizeof(rel), "%s101.conf", q);
	put_str(t->fd, rel, "name: a\nhostpci0: 00:02\n");
	(void)snprintf(rel, sizeof(rel), "%s102.conf", q);
	put_str(t->fd, rel, "name: b\nhostpci0: mapping=vf\nhostpci1: 0000:00:02.3\n");
	/* Not VM configs: ignored silently. */
	static const char *const ignored[] = {"101.conf.tmp.4242", "notes.txt", ".101.conf",
	                                      "101.conf~",         "abc.conf",  ".conf",
	                                      "101.CONF"};
	for (size_t i = 0; i < sizeof(ignored) / sizeof(ignored[0]); i++) {
		(void)snprintf(rel, sizeof(rel), "%s%s", q, ignored[i]);
		put_str(t->fd, rel, "hostpci0: 00:02.0\n");
	}
	/* Look like configs but cannot be: reported. */
	static const char *const reported[] = {"0103.conf", "1000000000.conf",
	                                       "99999999999999999999999.conf"};
	for (size_t i = 0; i < sizeof(reported) / sizeof(reported[0]); i++) {
		(void)snprintf(rel, sizeof(rel), "%s%s", q, reported[i]);
		put_str(t->fd, rel, "hostpci0: 00:02.0\n");
	}
	(void)snprintf(rel, sizeof(rel), "%s104.conf/", q); /* a directory */
	put(t->fd, rel, NULL, 0);
	(void)snprintf(rel, sizeof(rel), "%s105.conf", q); /* a FIFO must not hang the scrape */
	assert_int_equal(mkfifoat(t->fd, rel, 0644), 0);
	(void)snprintf(rel, sizeof(rel), "%s106.conf", q); /* over PVE_MAX_FILE */
	char *big = malloc(PVE_MAX_FILE + 1);
	assert_non_null(big);
	memset(big, '#', PVE_MAX_FILE + 1);
	put(t->fd, rel, big, PVE_MAX_FILE + 1);
	free(big);
	(void)snprintf(rel, sizeof(rel), "%s107.conf", q); /* exactly PVE_MAX_FILE: read */
	big = malloc(PVE_MAX_FILE);
	assert_non_null(big);
	memset(big, '#', PVE_MAX_FILE);
	for (size_t i = 63; i < PVE_MAX_FILE; i += 64)
		big[i] = '\n';
	memcpy(big, "hostpci0: 00:02.1\n", 18);
	put(t->fd, rel, big, PVE_MAX_FILE);
	free(big);
	(void)snprintf(rel, sizeof(rel), "%s108.conf", q); /* empty */
	put_str(t->fd, rel, "");

	int root = sub_fd(t, "root"), sys = sub_fd(t, "sys");
	assert_int_equal(pve_config_load(root, sys, &c, record_skip, &s), 0);
	assert_true(c->found);
	assert_string_equal(c->node, "pve");
	assert_int_equal(c->nvms, 4);
	assert_int_equal(c->vms[0].vmid, 101);
	assert_int_equal(c->vms[1].vmid, 102);
	assert_int_equal(c->vms[2].vmid, 107);
	assert_int_equal(c->vms[3].vmid, 108);
	assert_int_equal(c->vms[3].nhostpci, 0);
	/* 00:02 expands to the functions whose links resolve; 02.3's is dangling. */
	ASSERT_ADDRESSES(&c->vms[0].hostpci[0], "0000:00:02.0", "0000:00:02.1", "0000:00:02.2");
	ASSERT_ADDRESSES(&c->vms[1].hostpci[0], "0000:00:02.2");
	ASSERT_ADDRESSES(&c->vms[1].hostpci[1], "0000:00:02.3");
	assert_false(c->vms[1].hostpci[1].present[0]);
	assert_int_equal(pve_vm_for_address(c, "0000:00:02.2"), 101);
	/* 0103, 1000000000, the long one, 104 (directory), 105 (FIFO), 106 (too big). */
	assert_int_equal(s.n, 6);
	pve_config_free(c);
	(void)close(root);
	(void)close(sys);
}

/* Configs are held together until parsed: past PVE_MAX_CONFIGS_TOTAL the highest vmids are
 * skipped (reported once) instead of each taking up to PVE_MAX_FILE. */
static void
test_load_total_budget(void **state)
{
	struct tree_fd *t = *state;
	struct pve_config *c = NULL;
	struct skips s = {0};
	const size_t fit = PVE_MAX_CONFIGS_TOTAL / PVE_MAX_FILE;
	char rel[PATH_MAX];

	put(t->fd, "sys/", NULL, 0);
	put_link(t->fd, "root/etc/pve/qemu-server", "nodes/pve/qemu-server");
	put_str(t->fd, "root/etc/hostname", "pve\n");
	char *big = malloc(PVE_MAX_FILE);
	assert_non_null(big);
	memset(big, '#', PVE_MAX_FILE);
	for (size_t i = 63; i < PVE_MAX_FILE; i += 64)
		big[i] = '\n';
	for (size_t i = 0; i <= fit; i++) {
		(void)snprintf(rel, sizeof(rel), "root/etc/pve/nodes/pve/qemu-server/%zu.conf",
		               100 + i);
		memcpy(big, "name: full\n", 11);
		put(t->fd, rel, big, PVE_MAX_FILE);
	}
	free(big);

	int root = sub_fd(t, "root"), sys = sub_fd(t, "sys");
	assert_int_equal(pve_config_load(root, sys, &c, record_skip, &s), 0);
	assert_int_equal(c->nvms, fit);
	assert_int_equal(c->vms[0].vmid, 100);
	assert_int_equal(c->vms[fit - 1].vmid, 100 + fit - 1);
	assert_string_equal(c->vms[fit - 1].name, "full");
	assert_int_equal(s.n, 1);
	assert_string_equal(s.last, "etc/pve/qemu-server: more than 16 MiB of VM configs");
	assert_int_equal(s.last_err, E2BIG);
	pve_config_free(c);
	(void)close(root);
	(void)close(sys);
}

static void
test_load_node_name(void **state)
{
	struct tree_fd *t = *state;
	struct pve_config *c = NULL;
	struct skips s = {0};

	put(t->fd, "sys/", NULL, 0);
	put_str(t->fd, "root/etc/pve/mapping/pci.cfg", "vf\n\tmap node=pve,path=0000:00:02.2\n");
	put_str(t->fd, "root/etc/pve/nodes/pve/qemu-server/100.conf", "hostpci0: mapping=vf\n");
	put_link(t->fd, "root/etc/pve/qemu-server", "nodes/pve/qemu-server");
	put_link(t->fd, "root/etc/pve/local", "nodes/pve");
	int root = sub_fd(t, "root"), sys = sub_fd(t, "sys");

	/* No etc/hostname: reported, and pmxcfs's local link names the node. */
	assert_int_equal(pve_config_load(root, sys, &c, record_skip, &s), 0);
	assert_string_equal(c->node, "pve");
	ASSERT_ADDRESSES(&c->vms[0].hostpci[0], "0000:00:02.2");
	assert_false(c->vms[0].hostpci[0].present[0]); /* no sys/bus/pci at all */
	assert_int_equal(s.n, 1);
	assert_string_equal(s.last, "etc/hostname");
	assert_int_equal(s.last_err, ENOENT);
	pve_config_free(c);

	/* A hostname with garbage in it is not trusted either. */
	put_str(t->fd, "root/etc/hostname", "pve\xff\n");
	memset(&s, 0, sizeof(s));
	assert_int_equal(pve_config_load(root, sys, &c, record_skip, &s), 0);
	assert_string_equal(c->node, "pve");
	assert_int_equal(s.n, 1);
	assert_int_equal(s.last_err, EINVAL);
	pve_config_free(c);

	/* Another node's name: its mappings do not apply here. */
	put_str(t->fd, "root/etc/hostname", "pve2\n");
	memset(&s, 0, sizeof(s));
	assert_int_equal(pve_config_load(root, sys, &c, record_skip, &s), 0);
	assert_string_equal(c->node, "pve2");
	assert_int_equal(c->vms[0].hostpci[0].naddresses, 0);
	assert_int_equal(s.n, 0);
	pve_config_free(c);
	(void)close(root);
	(void)close(sys);
}

/* --- the checked-in scenarios --- */

static void
open_fixture(const char *name, int *ret_root, int *ret_sys)
{
	const char *base = getenv("EXPORTER_TEST_DATA");
	char path[PATH_MAX];

	(void)snprintf(path, sizeof(path), "%s/%s/root", base != NULL ? base : TEST_DATA_DIR, name);
	*ret_root = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	(void)snprintf(path, sizeof(path), "%s/%s/sys", base != NULL ? base : TEST_DATA_DIR, name);
	*ret_sys = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	assert_true(*ret_root >= 0 && *ret_sys >= 0);
}

static void
test_fixture_mappings(void **state)
{
	struct pve_config *c = NULL;
	struct skips s = {0};
	char machine[64];
	int root, sys;
	(void)state;

	open_fixture("pve_mappings", &root, &sys);
	assert_int_equal(pve_config_load(root, sys, &c, record_skip, &s), 0);
	assert_int_equal(s.n, 0);
	assert_string_equal(c->node, "pve");
	assert_int_equal(c->nvms, 4); /* 201 lives on node pve2 */
	const struct pve_vm *vm = &c->vms[0];
	assert_int_equal(vm->vmid, 101);
	assert_string_equal(vm->name, "docker-vm");
	assert_string_equal(vm->machine, "q35"); /* not the snapshot's pc-i440fx-9.0 */
	assert_int_equal(vm->nhostpci, 1);
	ASSERT_ADDRESSES(&vm->hostpci[0], "0000:00:02.1"); /* pve2's entry does not count */
	vm = &c->vms[1];
	assert_string_equal(vm->name, "win11");
	pve_machine_type(vm, machine, sizeof(machine));
	assert_string_equal(machine, "pc-q35-9.0+pve1");
	assert_int_equal(vm->nhostpci, 2); /* not [PENDING]'s hostpci2 */
	ASSERT_ADDRESSES(&vm->hostpci[0], "0000:00:02.3");
	ASSERT_ADDRESSES(&vm->hostpci[1], "0000:00:02.4", "0000:00:02.5", "0000:00:02.6");
	vm = &c->vms[2];
	assert_string_equal(vm->name, "frigate");
	assert_int_equal(vm->nhostpci, 2);
	ASSERT_ADDRESSES(&vm->hostpci[0], "0000:00:02.7");
	ASSERT_ADDRESSES(&vm->hostpci[1], "0000:03:00.0");
	assert_false(vm->hostpci[1].present[0]);
	vm = &c->vms[3];
	assert_int_equal(vm->hostpci[0].naddresses, 0);
	assert_string_equal(vm->hostpci[0].mapping, "pve2-gpu");
	/* Nothing anywhere takes the PF or 02.2. */
	assert_int_equal(pve_vm_for_address(c, "0000:00:02.0"), 0);
	assert_int_equal(pve_vm_for_address(c, "0000:00:02.2"), 0);
	assert_int_equal(pve_vm_for_address(c, "0000:00:02.5"), 102);
	pve_config_free(c);
	(void)close(root);
	(void)close(sys);
}

static void
test_fixture_pf_passthrough(void **state)
{
	struct pve_config *c = NULL;
	struct skips s = {0};
	int root, sys;
	(void)state;

	open_fixture("pve_pf_passthrough", &root, &sys);
	assert_int_equal(pve_config_load(root, sys, &c, record_skip, &s), 0);
	assert_int_equal(s.n, 0);
	assert_int_equal(c->nvms, 2);
	assert_true(c->vms[0].hostpci[0].whole_device);
	assert_int_equal(c->vms[0].hostpci[0].naddresses, 8);
	assert_string_equal(c->vms[0].hostpci[0].addresses[0], "0000:00:02.0");
	ASSERT_ADDRESSES(&c->vms[1].hostpci[0], "0000:00:02.0");
	assert_int_equal(pve_vm_for_address(c, "0000:00:02.0"), 101);
	assert_int_equal(pve_vm_for_address(c, "0000:00:02.7"), 101);
	pve_config_free(c);
	(void)close(root);
	(void)close(sys);
}

/* --- pve_cache_load(): what a load reads again, and what it sees --- */

#define T0 (1000 * SEC)

/* A host: node pve, PF 00:02.0 with VFs 02.1 and 02.2, VM 101 on 02.1, VM 102 on 02.2 through the
 * mapping vf2, VM 103 on 02.3 (no such VF yet). */
static void
cache_host(int fd)
{
	put_str(fd, "root/etc/hostname", "pve\n");
	put_str(fd, "root/etc/pve/mapping/pci.cfg", "vf2\n\tmap node=pve,path=0000:00:02.2\n");
	put_str(fd, "root/etc/pve/qemu-server/101.conf", "name: a\nhostpci0: 0000:00:02.1\n");
	put_str(fd, "root/etc/pve/qemu-server/102.conf", "name: b\nhostpci0: mapping=vf2\n");
	put_str(fd, "root/etc/pve/qemu-server/103.conf", "name: c\nhostpci0: 0000:00:02.3\n");
	put_pci(fd, "0000:00:02.0");
	put_pci(fd, "0000:00:02.1");
	put_pci(fd, "0000:00:02.2");
}

/* Replaces rel by a new file renamed over it (a new inode, what pmxcfs does for every write) with
 * the old file's mtime: size and mtime match, the inode (and ctime) tell them apart. */
static void
replace_keep_times(int fd, const char *rel, const char *data)
{
	char tmp[PATH_MAX];
	struct stat st;
	struct timespec times[2];

	assert_int_equal(fstatat(fd, rel, &st, 0), 0);
	(void)snprintf(tmp, sizeof(tmp), "%s.tmp", rel);
	put_str(fd, tmp, data);
	times[0] = st.st_atim;
	times[1] = st.st_mtim;
	assert_int_equal(utimensat(fd, tmp, times, 0), 0);
	assert_int_equal(renameat(fd, tmp, fd, rel), 0);
}

static const struct pve_vm *
vm_of(const struct pve_config *c, unsigned vmid)
{
	for (size_t i = 0; i < c->nvms; i++) {
		if (c->vms[i].vmid == vmid)
			return &c->vms[i];
	}
	return NULL;
}

/* Loads through cache at now; fails the test on error. Returns the config (borrowed). */
static const struct pve_config *
cload(struct pve_cache *cache, int root, int sys, int64_t now, struct skips *s)
{
	const struct pve_config *c = NULL;

	assert_int_equal(pve_cache_load(cache, root, sys, now, &c, record_skip, s), 0);
	assert_non_null(c);
	return c;
}

static void
test_cache_reads_what_changed(void **state)
{
	struct tree_fd *t = *state;
	struct skips s = {0};

	cache_host(t->fd);
	int root = sub_fd(t, "root"), sys = sub_fd(t, "sys");
	struct pve_cache *cache = pve_cache_new();
	file_reads = 0;
	const struct pve_config *c = cload(cache, root, sys, T0, &s);
	assert_int_equal(file_reads, 4); /* three configs and the mapping */
	assert_int_equal(c->nvms, 3);
	assert_int_equal(pve_vm_for_address(c, "0000:00:02.1"), 101);
	assert_int_equal(pve_vm_for_address(c, "0000:00:02.2"), 102);
	assert_false(vm_of(c, 103)->hostpci[0].present[0]);
	assert_int_equal(s.n, 0);

	/* nothing changed: nothing read, the parsed config itself reused */
	file_reads = 0;
	const struct pve_config *again = cload(cache, root, sys, T0 + SEC, &s);
	assert_int_equal(file_reads, 0);
	assert_ptr_equal(again, c);

	/* qm set in place (other size): that file only */
	put_str(t->fd, "root/etc/pve/qemu-server/101.conf", "name: a\nhostpci0: 0000:00:02.0\n");
	file_reads = 0;
	c = cload(cache, root, sys, T0 + 2 * SEC, &s);
	assert_int_equal(file_reads, 1);
	assert_int_equal(pve_vm_for_address(c, "0000:00:02.0"), 101);
	assert_int_equal(pve_vm_for_address(c, "0000:00:02.1"), 0);

	/* renamed over, same size and mtime: seen all the same */
	replace_keep_times(t->fd, "root/etc/pve/qemu-server/101.conf",
			   "name: z\nhostpci0: 0000:00:02.1\n");
	file_reads = 0;
	c = cload(cache, root, sys, T0 + 3 * SEC, &s);
	assert_int_equal(file_reads, 1);
	assert_string_equal(vm_of(c, 101)->name, "z");
	assert_int_equal(pve_vm_for_address(c, "0000:00:02.1"), 101);

	/* the mapping moves vf2 to another function */
	put_str(t->fd, "root/etc/pve/mapping/pci.cfg", "vf2\n\tmap node=pve,path=0000:00:02.0\n");
	file_reads = 0;
	c = cload(cache, root, sys, T0 + 4 * SEC, &s);
	assert_int_equal(file_reads, 1);
	assert_int_equal(pve_vm_for_address(c, "0000:00:02.0"), 102);

	/* the mapping removed: 102's entry resolves to nothing */
	assert_int_equal(unlinkat(t->fd, "root/etc/pve/mapping/pci.cfg", 0), 0);
	c = cload(cache, root, sys, T0 + 5 * SEC, &s);
	assert_int_equal(vm_of(c, 102)->hostpci[0].naddresses, 0);

	/* every file read again once old enough, changed or not */
	file_reads = 0;
	(void)cload(cache, root, sys, T0 + PVE_CACHE_MAX_AGE_NS - 1, &s);
	assert_int_equal(file_reads, 0);
	(void)cload(cache, root, sys, T0 + PVE_CACHE_MAX_AGE_NS, &s);
	assert_int_equal(file_reads, 2); /* 102 and 103, read at T0 */
	file_reads = 0;
	(void)cload(cache, root, sys, T0 + 3 * SEC + PVE_CACHE_MAX_AGE_NS, &s);
	assert_int_equal(file_reads, 1); /* 101, read last at T0 + 3 s */
	assert_int_equal(s.n, 0);
	pve_cache_free(cache);
	(void)close(root);
	(void)close(sys);
}

/* VMs created and destroyed, the host renamed (another node's mappings apply): seen by the next
 * load. */
static void
test_cache_vms_and_node(void **state)
{
	struct tree_fd *t = *state;
	struct skips s = {0};

	cache_host(t->fd);
	int root = sub_fd(t, "root"), sys = sub_fd(t, "sys");
	struct pve_cache *cache = pve_cache_new();
	const struct pve_config *c = cload(cache, root, sys, T0, &s);
	assert_int_equal(c->nvms, 3);

	put_str(t->fd, "root/etc/pve/qemu-server/104.conf", "hostpci0: 0000:00:02.2\n");
	assert_int_equal(unlinkat(t->fd, "root/etc/pve/qemu-server/101.conf", 0), 0);
	file_reads = 0;
	c = cload(cache, root, sys, T0 + 1, &s);
	assert_int_equal(file_reads, 1);
	assert_int_equal(c->nvms, 3);
	assert_null(vm_of(c, 101));
	assert_non_null(vm_of(c, 104));
	assert_int_equal(pve_vm_for_address(c, "0000:00:02.1"), 0);

	/* a removal alone, nothing read */
	assert_int_equal(unlinkat(t->fd, "root/etc/pve/qemu-server/103.conf", 0), 0);
	file_reads = 0;
	c = cload(cache, root, sys, T0 + 2, &s);
	assert_int_equal(file_reads, 0);
	assert_int_equal(c->nvms, 2);
	assert_null(vm_of(c, 103));

	put_str(t->fd, "root/etc/hostname", "other\n");
	c = cload(cache, root, sys, T0 + 3, &s);
	assert_string_equal(c->node, "other");
	assert_int_equal(vm_of(c, 102)->hostpci[0].naddresses, 0); /* vf2 maps pve only */
	pve_cache_free(cache);
	(void)close(root);
	(void)close(sys);
}

/* VFs enabled and disabled change which addresses exist, without any config changing; a bus
 * entry whose link dangles is no device until its target appears. */
static void
test_cache_devices(void **state)
{
	struct tree_fd *t = *state;
	struct skips s = {0};

	cache_host(t->fd);
	put_str(t->fd, "root/etc/pve/qemu-server/105.conf", "hostpci0: 00:02\n");
	int root = sub_fd(t, "root"), sys = sub_fd(t, "sys");
	struct pve_cache *cache = pve_cache_new();
	const struct pve_config *c = cload(cache, root, sys, T0, &s);
	assert_int_equal(vm_of(c, 105)->hostpci[0].naddresses, 3);

	put_pci(t->fd, "0000:00:02.3");
	file_reads = 0;
	c = cload(cache, root, sys, T0 + 1, &s);
	assert_int_equal(file_reads, 0);
	assert_true(vm_of(c, 103)->hostpci[0].present[0]);
	assert_int_equal(vm_of(c, 105)->hostpci[0].naddresses, 4);

	assert_int_equal(unlinkat(t->fd, "sys/bus/pci/devices/0000:00:02.3", 0), 0);
	c = cload(cache, root, sys, T0 + 2, &s);
	assert_false(vm_of(c, 103)->hostpci[0].present[0]);
	assert_int_equal(vm_of(c, 105)->hostpci[0].naddresses, 3);

	/* a dangling link: listed, but not a device, for the plain and the expanded entry */
	put_link(t->fd, "sys/bus/pci/devices/0000:00:02.3", "../../../devices/pci0000:00/gone");
	c = cload(cache, root, sys, T0 + 3, &s);
	assert_false(vm_of(c, 103)->hostpci[0].present[0]);
	assert_int_equal(vm_of(c, 105)->hostpci[0].naddresses, 3);
	c = cload(cache, root, sys, T0 + 4, &s);
	assert_false(vm_of(c, 103)->hostpci[0].present[0]);
	assert_int_equal(vm_of(c, 105)->hostpci[0].naddresses, 3);
	/* its target appears: a device from the next load on */
	put_str(t->fd, "sys/devices/pci0000:00/gone/class", "0x030000\n");
	c = cload(cache, root, sys, T0 + 5, &s);
	assert_true(vm_of(c, 103)->hostpci[0].present[0]);
	assert_int_equal(vm_of(c, 105)->hostpci[0].naddresses, 4);
	pve_cache_free(cache);
	(void)close(root);
	(void)close(sys);
}

/* A device directory removed under a bus link that stays (a broken tree: the kernel removes the
 * link first): the address stops being present once PVE_DEVICE_CHECK_NS has passed. */
static void
test_cache_dangling_later(void **state)
{
	struct tree_fd *t = *state;
	struct skips s = {0};

	cache_host(t->fd);
	int root = sub_fd(t, "root"), sys = sub_fd(t, "sys");
	struct pve_cache *cache = pve_cache_new();
	const struct pve_config *c = cload(cache, root, sys, T0, &s);
	assert_true(vm_of(c, 101)->hostpci[0].present[0]);
	assert_int_equal(renameat(t->fd, "sys/devices/pci0000:00/0000:00:02.1", t->fd,
				  "sys/devices/pci0000:00/away"),
			 0);
	c = cload(cache, root, sys, T0 + PVE_DEVICE_CHECK_NS - 1, &s);
	assert_true(vm_of(c, 101)->hostpci[0].present[0]);
	c = cload(cache, root, sys, T0 + PVE_DEVICE_CHECK_NS, &s);
	assert_false(vm_of(c, 101)->hostpci[0].present[0]);
	/* back: from then on every name is checked on every load */
	assert_int_equal(renameat(t->fd, "sys/devices/pci0000:00/away", t->fd,
				  "sys/devices/pci0000:00/0000:00:02.1"),
			 0);
	c = cload(cache, root, sys, T0 + PVE_DEVICE_CHECK_NS + 1, &s);
	assert_true(vm_of(c, 101)->hostpci[0].present[0]);
	pve_cache_free(cache);
	(void)close(root);
	(void)close(sys);
}

/* Unusable files and lines are reported by every load, also when nothing is read again; a FIFO
 * is never opened; a failed load forgets everything and the next one reads all again. */
static void
test_cache_skips_and_failure(void **state)
{
	struct tree_fd *t = *state;
	char path[PATH_MAX];

	cache_host(t->fd);
	put_str(t->fd, "root/etc/pve/qemu-server/106.conf", "hostpci0: bogus=1\n");
	(void)snprintf(path, sizeof(path), "%s/root/etc/pve/qemu-server/107.conf", t->path);
	assert_int_equal(mkfifo(path, 0644), 0);
	int root = sub_fd(t, "root"), sys = sub_fd(t, "sys");
	struct pve_cache *cache = pve_cache_new();
	for (int i = 0; i < 3; i++) {
		struct skips s = {0};
		(void)cload(cache, root, sys, T0 + i, &s);
		assert_int_equal(s.n, 2);
	}
	/* etc/pve replaced by a file: the load fails; back as it was, everything is read again */
	const struct pve_config *c = NULL;
	struct skips s = {0};
	assert_int_equal(renameat(t->fd, "root/etc/pve", t->fd, "root/etc/pve.away"), 0);
	put_str(t->fd, "root/etc/pve", "x");
	assert_int_equal(pve_cache_load(cache, root, sys, T0 + 4, &c, record_skip, &s), -ENOTDIR);
	assert_int_equal(unlinkat(t->fd, "root/etc/pve", 0), 0);
	assert_int_equal(renameat(t->fd, "root/etc/pve.away", t->fd, "root/etc/pve"), 0);
	file_reads = 0;
	c = cload(cache, root, sys, T0 + 5, &s);
	assert_int_equal(file_reads, 5);
	assert_int_equal(c->nvms, 4);
	pve_cache_free(cache);
	(void)close(root);
	(void)close(sys);
}

/* One cache pointed at another tree (tests, a changed --path.rootfs): nothing of the first. */
static void
test_cache_other_tree(void **state)
{
	struct tree_fd *t = *state;
	struct skips s = {0};

	cache_host(t->fd);
	put_str(t->fd, "root2/etc/hostname", "pve\n");
	put_str(t->fd, "root2/etc/pve/qemu-server/201.conf", "name: b\nhostpci0: 0000:00:02.1\n");
	int root = sub_fd(t, "root"), root2 = sub_fd(t, "root2"), sys = sub_fd(t, "sys");
	struct pve_cache *cache = pve_cache_new();
	(void)cload(cache, root, sys, T0, &s);
	const struct pve_config *c = cload(cache, root2, sys, T0 + 1, &s);
	assert_int_equal(c->nvms, 1);
	assert_int_equal(pve_vm_for_address(c, "0000:00:02.1"), 201);
	pve_cache_free(cache);
	(void)close(root);
	(void)close(root2);
	(void)close(sys);
}

static void
assert_line(const char *text, const char *line)
{
	size_t n = strlen(line);

	for (const char *p = text; (p = strstr(p, line)) != NULL; p++) {
		if ((p == text || p[-1] == '\n') && p[n] == '\n')
			return;
	}
	fail_msg("missing line: %s\n--- in ---\n%s", line, text);
}

#define PF_ASSIGNED(vmid) "gpu_sriov_vm_pf_assigned{vmid=\"" vmid "\",pci_address=\"0000:00:02.0\"} 1"

/* The proxmox collector over scrapes: a qm set between two scrapes is in the second; whether an
 * address is a GPU PF is kept per device, so a different device at the address is seen at once,
 * a class rewritten in place (no kernel does that) after the 60 s bound. */
static void
test_proxmox_scrapes(void **state)
{
	struct tree_fd *t = *state;
	struct testrun r;
	char sys[PATH_MAX], root[PATH_MAX];
	int err;

	cache_host(t->fd);
	put_str(t->fd, "sys/devices/pci0000:00/0000:00:02.0/sriov_totalvfs", "7\n");
	put_str(t->fd, "root/etc/pve/qemu-server/108.conf", "hostpci0: 0000:00:02.0\n");
	(void)snprintf(sys, sizeof(sys), "%s/sys", t->path);
	(void)snprintf(root, sizeof(root), "%s/root", t->path);
	/* Another registry of this process may have used scrape 1: forget its shared config. */
	(void)pve_config_for_scrape(-1, -1, UINT64_MAX, NULL, NULL, &err);
	assert_int_equal(testrun_start(&r, &proxmox_collector, sys, NULL, root), 0);
	int64_t t0 = fake_now;
	char *text = testrun_scrape_ok_at(&r, t0);
	assert_line(text, PF_ASSIGNED("108"));
	assert_line(text, "gpu_sriov_vm_hostpci_info{vmid=\"101\",name=\"a\",hostpci=\"hostpci0\","
			  "pci_address=\"0000:00:02.1\",machine=\"i440fx\"} 1");
	assert_line(text, "gpu_sriov_vms_configured 4");
	free(text);

	put_str(t->fd, "root/etc/pve/qemu-server/101.conf",
		"name: a\nmachine: q35\nhostpci0: 0000:00:02.0\n");
	text = testrun_scrape_ok_at(&r, t0 + 1);
	assert_line(text, PF_ASSIGNED("101"));
	assert_line(text, "gpu_sriov_vm_hostpci_info{vmid=\"101\",name=\"a\",hostpci=\"hostpci0\","
			  "pci_address=\"0000:00:02.0\",machine=\"q35\"} 1");
	free(text);

	/* another device (a NIC) at the PF's address: a new directory and a new bus entry, as the
	 * kernel makes them (the link made beside and renamed over, so it is a new inode wherever
	 * the tree lives) */
	assert_int_equal(renameat(t->fd, "sys/devices/pci0000:00/0000:00:02.0", t->fd,
				  "sys/devices/pci0000:00/old"),
			 0);
	put_str(t->fd, "sys/devices/pci0000:00/0000:00:02.0/class", "0x020000\n");
	put_str(t->fd, "sys/devices/pci0000:00/0000:00:02.0/sriov_totalvfs", "7\n");
	put_link(t->fd, "sys/bus/pci/new", "../../../devices/pci0000:00/0000:00:02.0");
	assert_int_equal(renameat(t->fd, "sys/bus/pci/new", t->fd, "sys/bus/pci/devices/0000:00:02.0"),
			 0);
	text = testrun_scrape_ok_at(&r, t0 + 2);
	if (strstr(text, "gpu_sriov_vm_pf_assigned{") != NULL)
		fail_msg("a NIC taken for a GPU PF:\n%s", text);
	free(text);

	/* its class rewritten in place: the kept answer holds until the bound */
	put_str(t->fd, "sys/devices/pci0000:00/0000:00:02.0/class", "0x030000\n");
	text = testrun_scrape_ok_at(&r, t0 + 2 + 60 * SEC - 1);
	if (strstr(text, "gpu_sriov_vm_pf_assigned{") != NULL)
		fail_msg("seen before the bound:\n%s", text);
	free(text);
	text = testrun_scrape_ok_at(&r, t0 + 2 + 60 * SEC);
	assert_line(text, PF_ASSIGNED("101"));
	assert_line(text, PF_ASSIGNED("108"));
	free(text);
	testrun_stop(&r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_full_address),
	    cmocka_unit_test(test_domain_implied),
	    cmocka_unit_test(test_whole_device),
	    cmocka_unit_test(test_alternatives),
	    cmocka_unit_test(test_all_keys),
	    cmocka_unit_test(test_invalid_entries),
	    cmocka_unit_test(test_invalid_lines),
	    cmocka_unit_test(test_main_section_only),
	    cmocka_unit_test(test_description_lines),
	    cmocka_unit_test(test_repeated_key_last_wins),
	    cmocka_unit_test(test_entries_sorted_by_index),
	    cmocka_unit_test(test_machine_type),
	    cmocka_unit_test(test_mapping_local_node),
	    cmocka_unit_test(test_mapping_file_garbage),
	    cmocka_unit_test(test_vm_order_and_lookup),
	    cmocka_unit_test(test_overlong_lines),
	    cmocka_unit_test(test_long_values_truncated),
	    cmocka_unit_test(test_address_limit),
	    cmocka_unit_test(test_vm_limit),
	    cmocka_unit_test(test_binary_garbage),
	    cmocka_unit_test_setup_teardown(test_load_no_pve, tree_setup, tree_fd_teardown),
	    cmocka_unit_test_setup_teardown(test_load_tree, tree_setup, tree_fd_teardown),
	    cmocka_unit_test_setup_teardown(test_load_total_budget, tree_setup, tree_fd_teardown),
	    cmocka_unit_test_setup_teardown(test_load_node_name, tree_setup, tree_fd_teardown),
	    cmocka_unit_test(test_fixture_mappings),
	    cmocka_unit_test_setup_teardown(test_cache_reads_what_changed, tree_setup,
					    tree_fd_teardown),
	    cmocka_unit_test_setup_teardown(test_cache_vms_and_node, tree_setup, tree_fd_teardown),
	    cmocka_unit_test_setup_teardown(test_cache_devices, tree_setup, tree_fd_teardown),
	    cmocka_unit_test_setup_teardown(test_cache_dangling_later, tree_setup, tree_fd_teardown),
	    cmocka_unit_test_setup_teardown(test_cache_skips_and_failure, tree_setup,
					    tree_fd_teardown),
	    cmocka_unit_test_setup_teardown(test_cache_other_tree, tree_setup, tree_fd_teardown),
	    cmocka_unit_test_setup_teardown(test_proxmox_scrapes, tree_setup, tree_fd_teardown),
	    cmocka_unit_test(test_fixture_pf_passthrough),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

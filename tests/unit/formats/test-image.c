/* SPDX-License-Identifier: MIT */
/* hr_image_check, hr_image_find and hr_image_interpreter on real and crafted files: static and
 * static-pie programs, a dynamic one, set-user-ID and set-group-ID copies owned by nobody, file
 * capabilities, scripts, ELF headers of other classes and machines, garbage, missing files. */
#define _GNU_SOURCE
#include "../check.h"

#include <heaprr/image.h>

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#define NOBODY 65534

static char dir[4200];

static const char *in_dir(const char *name)
{
    static char buf[8][4300];
    static int n;
    char *p = buf[n++ % 8];
    snprintf(p, sizeof buf[0], "%s/%s", dir, name);
    return p;
}

static void write_file(const char *path, const void *data, size_t len, mode_t mode)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
    CHECK_FATAL(fd >= 0 && write(fd, data, len) == (ssize_t)len);
    close(fd);
    CHECK_FATAL(chmod(path, mode) == 0);
}

static void copy_file(const char *from, const char *to, mode_t mode)
{
    static char data[64 << 20];
    int fd = open(from, O_RDONLY);
    CHECK_FATAL(fd >= 0);
    ssize_t n = read(fd, data, sizeof data);
    close(fd);
    CHECK_FATAL(n > 0);
    write_file(to, data, (size_t)n, mode);
}

/* The flags of path, checking that the call keeps errno. */
static unsigned flags_of(const char *path)
{
    unsigned f = 0xdead;
    errno = 4242;
    CHECK_EQ_U64(hr_image_check(path, &f), 0);
    CHECK_EQ_U64(errno, 4242);
    return f;
}

/* A minimal ELF file: header, then phnum program headers (the first PT_INTERP when interp). */
static void craft_elf(const char *path, unsigned cls, unsigned data, unsigned machine, unsigned type, int interp)
{
    unsigned char buf[512];
    memset(buf, 0, sizeof buf);
    memcpy(buf, ELFMAG, SELFMAG);
    buf[EI_CLASS] = (unsigned char)cls;
    buf[EI_DATA] = (unsigned char)data;
    buf[EI_VERSION] = EV_CURRENT;
    if (cls == ELFCLASS64 && data == ELFDATA2LSB) {
        Elf64_Ehdr eh = {0};
        memcpy(eh.e_ident, buf, EI_NIDENT);
        eh.e_type = (Elf64_Half)type;
        eh.e_machine = (Elf64_Half)machine;
        eh.e_version = EV_CURRENT;
        eh.e_phoff = sizeof eh;
        eh.e_ehsize = sizeof eh;
        eh.e_phentsize = sizeof(Elf64_Phdr);
        eh.e_phnum = 2;
        Elf64_Phdr ph[2] = {{.p_type = interp ? PT_INTERP : PT_NOTE}, {.p_type = PT_LOAD}};
        memcpy(buf, &eh, sizeof eh);
        memcpy(buf + sizeof eh, ph, sizeof ph);
    } else if (cls == ELFCLASS32) {
        Elf32_Ehdr eh = {0};
        memcpy(eh.e_ident, buf, EI_NIDENT);
        eh.e_type = (Elf32_Half)type;
        eh.e_machine = (Elf32_Half)machine;
        eh.e_phoff = sizeof eh;
        eh.e_phentsize = sizeof(Elf32_Phdr);
        eh.e_phnum = 1;
        memcpy(buf, &eh, sizeof eh);
    } else { /* big-endian 64-bit: e_type and e_machine bytes swapped */
        buf[16] = 0;
        buf[17] = (unsigned char)type;
        buf[18] = (unsigned char)(machine >> 8);
        buf[19] = (unsigned char)machine;
    }
    write_file(path, buf, sizeof buf, 0755);
}

static void test_programs(void)
{
    CHECK_EQ_U64(flags_of(IMG_STATIC), HR_IMG_STATIC);
    CHECK_EQ_U64(flags_of(IMG_STATIC_PIE), HR_IMG_STATIC);
    CHECK_EQ_U64(flags_of(IMG_DYNAMIC), 0);
    CHECK_EQ_U64(flags_of("/bin/sh"), 0);
}

static void test_crafted(void)
{
    craft_elf(in_dir("elf32"), ELFCLASS32, ELFDATA2LSB, EM_386, ET_EXEC, 0);
    craft_elf(in_dir("arm64"), ELFCLASS64, ELFDATA2LSB, EM_AARCH64, ET_DYN, 1);
    craft_elf(in_dir("s390x"), ELFCLASS64, ELFDATA2MSB, EM_S390, ET_EXEC, 1);
    craft_elf(in_dir("nointerp"), ELFCLASS64, ELFDATA2LSB, EM_X86_64, ET_EXEC, 0);
    craft_elf(in_dir("interp"), ELFCLASS64, ELFDATA2LSB, EM_X86_64, ET_DYN, 1);
    craft_elf(in_dir("object"), ELFCLASS64, ELFDATA2LSB, EM_X86_64, ET_REL, 0);
    CHECK_EQ_U64(flags_of(in_dir("elf32")), HR_IMG_FOREIGN);
    CHECK_EQ_U64(flags_of(in_dir("arm64")), HR_IMG_FOREIGN);
    CHECK_EQ_U64(flags_of(in_dir("s390x")), HR_IMG_FOREIGN);
    CHECK_EQ_U64(flags_of(in_dir("nointerp")), HR_IMG_STATIC);
    CHECK_EQ_U64(flags_of(in_dir("interp")), 0);
    CHECK_EQ_U64(flags_of(in_dir("object")), 0); /* exec refuses it: nothing to say */
    write_file(in_dir("cut-elf"), ELFMAG "\2\1\1", 7, 0755);
    CHECK_EQ_U64(flags_of(in_dir("cut-elf")), 0);
}

static void test_not_programs(void)
{
    unsigned f = 7;
    write_file(in_dir("garbage"), "\x01\x02garbage bytes, not a program at all", 38, 0755);
    write_file(in_dir("empty"), "", 0, 0755);
    CHECK_EQ_U64(flags_of(in_dir("garbage")), 0);
    CHECK_EQ_U64(flags_of(in_dir("empty")), 0);
    CHECK_EQ_U64(flags_of(dir), 0);
    CHECK_FATAL(mkfifo(in_dir("fifo"), 0644) == 0);
    CHECK_EQ_U64(flags_of(in_dir("fifo")), 0); /* and does not block */
    errno = 4242;
    CHECK_EQ_U64(hr_image_check(in_dir("missing"), &f), HR_ERR_IO);
    CHECK_EQ_U64(errno, 4242);
    CHECK_EQ_U64(f, 0);
}

static void test_scripts(void)
{
    char text[8192];
    snprintf(text, sizeof text, "#! %s -x\necho hi\n", IMG_STATIC);
    write_file(in_dir("static.sh"), text, strlen(text), 0755);
    write_file(in_dir("dynamic.sh"), "#!/bin/sh\necho hi\n", 18, 0755);
    write_file(in_dir("nointerp.sh"), "#!/nonexistent/interp\n", 22, 0755);
    write_file(in_dir("noname.sh"), "#!   \n", 6, 0755);
    snprintf(text, sizeof text, "#!%s\n", in_dir("static.sh"));
    write_file(in_dir("nested.sh"), text, strlen(text), 0755);
    snprintf(text, sizeof text, "#!%s\n", in_dir("elf32"));
    write_file(in_dir("foreign.sh"), text, strlen(text), 0755);
    CHECK_EQ_U64(flags_of(in_dir("static.sh")), HR_IMG_STATIC);
    CHECK_EQ_U64(flags_of(in_dir("dynamic.sh")), 0);
    CHECK_EQ_U64(flags_of(in_dir("nointerp.sh")), 0);
    CHECK_EQ_U64(flags_of(in_dir("noname.sh")), 0);
    CHECK_EQ_U64(flags_of(in_dir("nested.sh")), 0); /* one level only */
    CHECK_EQ_U64(flags_of(in_dir("foreign.sh")), HR_IMG_FOREIGN);

    char interp[256];
    CHECK_EQ_U64(hr_image_interpreter(in_dir("static.sh"), interp, sizeof interp), 1);
    CHECK(strcmp(interp, IMG_STATIC) == 0);
    CHECK_EQ_U64(hr_image_interpreter(IMG_DYNAMIC, interp, sizeof interp), 0);
    CHECK_EQ_U64(hr_image_interpreter(in_dir("static.sh"), interp, 4), 0);
    CHECK_EQ_U64(hr_image_interpreter(in_dir("missing"), interp, sizeof interp), HR_ERR_IO);
}

/* A copy of the dynamic program with owner, group and mode. */
static const char *owned_copy(const char *name, uid_t uid, gid_t gid, mode_t mode)
{
    const char *p = in_dir(name);
    copy_file(IMG_DYNAMIC, p, 0755);
    CHECK_FATAL(chown(p, uid, gid) == 0);
    CHECK_FATAL(chmod(p, mode) == 0);
    return p;
}

/* The flags of path as seen by a child that dropped to uid and gid nobody. */
static unsigned flags_as_nobody(const char *path)
{
    int fds[2];
    unsigned f = 0xdead;
    CHECK_FATAL(pipe(fds) == 0);
    pid_t pid = fork();
    if (pid == 0) {
        if (setresgid(NOBODY, NOBODY, NOBODY) < 0 || setresuid(NOBODY, NOBODY, NOBODY) < 0 ||
            hr_image_check(path, &f) < 0)
            _exit(1);
        _exit(write(fds[1], &f, sizeof f) == sizeof f ? 0 : 1);
    }
    close(fds[1]);
    if (read(fds[0], &f, sizeof f) != sizeof f)
        f = 0xdead;
    close(fds[0]);
    waitpid(pid, NULL, 0);
    return f;
}

static void test_privileges(void)
{
    struct statvfs vfs;
    if (geteuid() != 0) {
        printf("test-image: not root: set-user-ID and capability cases skipped\n");
        return;
    }
    if (statvfs(dir, &vfs) == 0 && (vfs.f_flag & ST_NOSUID)) {
        /* The kernel ignores the bits there, and so must the check. */
        CHECK_EQ_U64(flags_of(owned_copy("suid", NOBODY, NOBODY, 04755)), 0);
        printf("test-image: %s is mounted nosuid: only that case checked\n", dir);
        return;
    }
    const char *suid = owned_copy("suid-nobody", NOBODY, 0, 04755);
    CHECK_EQ_U64(flags_of(suid), HR_IMG_SECURE);
    CHECK_EQ_U64(flags_of(owned_copy("sgid-nogroup", 0, NOBODY, 02755)), HR_IMG_SECURE);
    CHECK_EQ_U64(flags_of(owned_copy("suid-root", 0, 0, 04755)), 0);        /* our own uid */
    CHECK_EQ_U64(flags_of(owned_copy("sgid-noexec", 0, NOBODY, 02745)), 0); /* no group x: not set-group-ID */
    CHECK_EQ_U64(flags_of(owned_copy("plain-nobody", NOBODY, NOBODY, 0755)), 0);
    CHECK_EQ_U64(flags_as_nobody(suid), 0); /* nobody running nobody's program */

    char text[8192];
    snprintf(text, sizeof text, "#!%s\n", suid);
    write_file(in_dir("suid.sh"), text, strlen(text), 0755);
    CHECK_EQ_U64(flags_of(in_dir("suid.sh")), HR_IMG_SECURE);
    write_file(in_dir("setuid-script.sh"), "#!/bin/sh\n", 10, 0755);
    CHECK_FATAL(chown(in_dir("setuid-script.sh"), NOBODY, NOBODY) == 0 &&
                chmod(in_dir("setuid-script.sh"), 04755) == 0);
    CHECK_EQ_U64(flags_of(in_dir("setuid-script.sh")), 0); /* Linux ignores the bit on scripts */

    /* File capabilities (revision 2, cap_net_raw permitted and effective): root is not affected. */
    const char *capped = owned_copy("capped", 0, 0, 0755);
    uint32_t cap[5] = {0x02000000u | 1u, 1u << 13, 0, 0, 0};
    if (setxattr(capped, "security.capability", cap, sizeof cap, 0) < 0) {
        printf("test-image: cannot set file capabilities here (%s): that case skipped\n", strerror(errno));
        return;
    }
    CHECK_EQ_U64(flags_of(capped), 0);
    CHECK_EQ_U64(flags_as_nobody(capped), HR_IMG_SECURE);
}

static void test_find(void)
{
    char out[4096];
    int saved = chdir(dir);
    CHECK_FATAL(saved == 0);
    CHECK_FATAL(mkdir("d1", 0755) == 0 && mkdir("d1/prog", 0755) == 0 && mkdir("d2", 0755) == 0 &&
                mkdir("d3", 0755) == 0);
    write_file("d2/prog", "#!/bin/sh\n", 10, 0644); /* not executable */
    write_file("d3/prog", "#!/bin/sh\n", 10, 0755);
    write_file("here", "#!/bin/sh\n", 10, 0755);
    errno = 4242;
    CHECK_EQ_U64(hr_image_find("prog", "d1:d2:d3:/bin", out, sizeof out), 0);
    CHECK_EQ_U64(errno, 4242);
    CHECK(strcmp(out, "d3/prog") == 0);
    CHECK_EQ_U64(hr_image_find("sh", NULL, out, sizeof out), 0);
    CHECK(strcmp(out, "/bin/sh") == 0);
    CHECK_EQ_U64(hr_image_find("sh", "/nonexistent::/usr/bin", out, sizeof out), 0);
    CHECK(strcmp(out, "/usr/bin/sh") == 0);
    CHECK_EQ_U64(hr_image_find("here", "/nonexistent::/usr/bin", out, sizeof out), 0);
    CHECK(strcmp(out, "here") == 0); /* an empty entry is the current directory */
    CHECK_EQ_U64(hr_image_find("here", "/usr/bin", out, sizeof out), HR_ERR_IO);
    CHECK_EQ_U64(hr_image_find("./missing", "/usr/bin", out, sizeof out), 0);
    CHECK(strcmp(out, "./missing") == 0); /* a name with a slash is used as it is */
    CHECK_EQ_U64(hr_image_find("./here", NULL, out, 4), HR_ERR_LIMIT);
    CHECK_EQ_U64(hr_image_find("", NULL, out, sizeof out), HR_ERR_ARG);
    CHECK_EQ_U64(hr_image_find("no-such-program-here", "/bin:/usr/bin", out, sizeof out), HR_ERR_IO);
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

int main(void)
{
    char cwd[4096];
    CHECK_FATAL(getcwd(cwd, sizeof cwd) != NULL);
    snprintf(dir, sizeof dir, "%s/test-image-XXXXXX", cwd);
    CHECK_FATAL(mkdtemp(dir) != NULL && chmod(dir, 0755) == 0); /* nobody looks into it too */
    test_programs();
    test_crafted();
    test_not_programs();
    test_scripts();
    test_privileges();
    test_find();
    CHECK_FATAL(chdir(cwd) == 0);
    nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    return check_done("test-image");
}

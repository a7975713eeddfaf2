/* SPDX-License-Identifier: MIT */
/* hr_image_check and hr_image_find (include/heaprr/image.h): what the loader will do with a
 * program about to be exec'd, judged from its first bytes, its program headers and its mode.
 * The recorder calls these in exec and posix_spawn hooks, maybe in a vfork child: only system
 * calls and code of this file, no allocation, no stdio, no lock, no mutable static state. */
#define _GNU_SOURCE
#include <heaprr/image.h>

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/xattr.h>
#include <unistd.h>

/* The ELF identity of the code this file is compiled into. */
#if UINTPTR_MAX > 0xffffffffu
typedef Elf64_Ehdr img_ehdr;
typedef Elf64_Phdr img_phdr;
#define HOST_CLASS ELFCLASS64
#else
typedef Elf32_Ehdr img_ehdr;
typedef Elf32_Phdr img_phdr;
#define HOST_CLASS ELFCLASS32
#endif
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define HOST_DATA ELFDATA2LSB
#else
#define HOST_DATA ELFDATA2MSB
#endif
#if defined(__x86_64__)
#define HOST_MACHINE EM_X86_64
#elif defined(__i386__)
#define HOST_MACHINE EM_386
#elif defined(__aarch64__)
#define HOST_MACHINE EM_AARCH64
#elif defined(__arm__)
#define HOST_MACHINE EM_ARM
#elif defined(__riscv)
#define HOST_MACHINE EM_RISCV
#elif defined(__powerpc64__)
#define HOST_MACHINE EM_PPC64
#elif defined(__powerpc__)
#define HOST_MACHINE EM_PPC
#elif defined(__s390__)
#define HOST_MACHINE EM_S390
#elif defined(__mips__)
#define HOST_MACHINE EM_MIPS
#elif defined(__loongarch__)
#define HOST_MACHINE 258 /* EM_LOONGARCH */
#else
#define HOST_MACHINE 0 /* unknown here: the machine is not compared */
#endif

#define IMG_HEAD 256 /* the bytes the kernel reads to choose a binary format (BINPRM_BUF_SIZE) */
#define IMG_PHDR_BATCH 16
#define IMG_PHDR_MAX (65536 / sizeof(img_phdr)) /* the kernel refuses more */
#define IMG_CAPS_XATTR "security.capability"
#ifndef ST_VALID
#define ST_VALID 0x0020
#endif
#ifndef ST_NOSUID
#define ST_NOSUID 0x0002
#endif

static size_t img_strlen(const char *s)
{
    size_t n = 0;
    while (s[n])
        n++;
    return n;
}

/* Up to cap bytes from the start of fd; the count read, 0 on error. */
static size_t read_head(int fd, unsigned char *buf, size_t cap)
{
    size_t n = 0;
    while (n < cap) {
        ssize_t k = pread(fd, buf + n, cap - n, (off_t)n);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            break;
        n += (size_t)k;
    }
    return n;
}

static int open_image(const char *path, struct stat *sb)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    if (fd >= 0 && fstat(fd, sb) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* Whether the program headers hold PT_INTERP (1), not (0), or cannot be read (-1). */
static int has_interp(int fd, const img_ehdr *eh)
{
    img_phdr ph[IMG_PHDR_BATCH];
    for (unsigned i = 0; i < eh->e_phnum; i += IMG_PHDR_BATCH) {
        unsigned n = eh->e_phnum - i < IMG_PHDR_BATCH ? eh->e_phnum - i : IMG_PHDR_BATCH;
        size_t want = n * sizeof *ph;
        if (pread(fd, ph, want, (off_t)(eh->e_phoff + i * sizeof *ph)) != (ssize_t)want)
            return -1;
        for (unsigned j = 0; j < n; j++)
            if (ph[j].p_type == PT_INTERP)
                return 1;
    }
    return 0;
}

/* HR_IMG_FOREIGN or HR_IMG_STATIC for an ELF file (head holds n bytes of it); 0 when it is
 * dynamic, or when exec would refuse it anyway (not an executable, damaged headers). */
static unsigned elf_flags(int fd, const unsigned char *head, size_t n)
{
    if (n < EI_NIDENT)
        return 0;
    if (head[EI_CLASS] != HOST_CLASS || head[EI_DATA] != HOST_DATA)
        return HR_IMG_FOREIGN;
    img_ehdr eh;
    if (n < sizeof eh)
        return 0;
    __builtin_memcpy(&eh, head, sizeof eh);
    if (HOST_MACHINE && eh.e_machine != HOST_MACHINE)
        return HR_IMG_FOREIGN;
    if ((eh.e_type != ET_EXEC && eh.e_type != ET_DYN) || eh.e_phentsize != sizeof(img_phdr) || eh.e_phnum == 0 ||
        eh.e_phnum > IMG_PHDR_MAX)
        return 0;
    return has_interp(fd, &eh) == 0 ? HR_IMG_STATIC : 0;
}

/* Whether exec honours set-user-ID, set-group-ID and file capabilities on this file: not on a
 * file system mounted nosuid, not after PR_SET_NO_NEW_PRIVS. */
static int privileges_honoured(int fd)
{
    struct statfs fs;
    if (fstatfs(fd, &fs) == 0 && (fs.f_flags & ST_VALID) && (fs.f_flags & ST_NOSUID))
        return 0;
    return prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1;
}

/* HR_IMG_SECURE when exec would run the loader in secure mode (AT_SECURE): the new effective
 * user or group id differs from the real one, or file capabilities for a caller that is not
 * root (the kernel's test in cap_bprm_creds_from_file). */
static unsigned secure_flags(int fd, const struct stat *sb)
{
    uid_t euid = geteuid();
    gid_t egid = getegid();
    int honoured = (sb->st_mode & (S_ISUID | S_ISGID)) || getuid() != 0 ? privileges_honoured(fd) : 1;
    if (honoured && (sb->st_mode & S_ISUID))
        euid = sb->st_uid;
    if (honoured && (sb->st_mode & (S_ISGID | S_IXGRP)) == (S_ISGID | S_IXGRP))
        egid = sb->st_gid;
    if (euid != getuid() || egid != getgid())
        return HR_IMG_SECURE;
    if (honoured && getuid() != 0 && fgetxattr(fd, IMG_CAPS_XATTR, NULL, 0) > 0)
        return HR_IMG_SECURE;
    return 0;
}

/* The interpreter named by a "#!" line in head (n bytes): its offset and length in *len, or -1. */
static long script_interp(const unsigned char *head, size_t n, size_t *len)
{
    size_t i = 2;
    if (n < 2 || head[0] != '#' || head[1] != '!')
        return -1;
    while (i < n && (head[i] == ' ' || head[i] == '\t'))
        i++;
    size_t start = i;
    while (i < n && head[i] != ' ' && head[i] != '\t' && head[i] != '\n' && head[i] != 0)
        i++;
    if (i == start || i == n)
        return -1; /* no name, or cut by the kernel's buffer: exec fails */
    *len = i - start;
    return (long)start;
}

/* The flags of an opened file; depth 0 follows one "#!" line. */
static unsigned judge(int fd, const struct stat *sb, int depth);

static unsigned judge_script(const unsigned char *head, size_t n, int depth)
{
    char interp[IMG_HEAD];
    size_t len;
    long at = script_interp(head, n, &len);
    if (at < 0 || depth > 0)
        return 0;
    __builtin_memcpy(interp, head + at, len);
    interp[len] = 0;
    struct stat sb;
    int fd = open_image(interp, &sb);
    if (fd < 0)
        return 0; /* exec fails: nothing to judge */
    unsigned f = judge(fd, &sb, depth + 1);
    close(fd);
    return f;
}

static unsigned judge(int fd, const struct stat *sb, int depth)
{
    unsigned char head[IMG_HEAD];
    if (!S_ISREG(sb->st_mode))
        return 0;
    size_t n = read_head(fd, head, sizeof head);
    if (n >= SELFMAG && __builtin_memcmp(head, ELFMAG, SELFMAG) == 0) {
        unsigned f = elf_flags(fd, head, n);
        return f & HR_IMG_FOREIGN ? f : f | secure_flags(fd, sb);
    }
    return judge_script(head, n, depth);
}

int hr_image_check(const char *path, unsigned *flags)
{
    int saved = errno;
    struct stat sb;
    *flags = 0;
    int fd = path ? open_image(path, &sb) : -1;
    if (fd < 0) {
        errno = saved;
        return HR_ERR_IO;
    }
    *flags = judge(fd, &sb, 0);
    close(fd);
    errno = saved;
    return 0;
}

int hr_image_interpreter(const char *path, char *out, size_t cap)
{
    int saved = errno;
    unsigned char head[IMG_HEAD];
    struct stat sb;
    int fd = open_image(path, &sb), rc = 0;
    if (fd < 0) {
        errno = saved;
        return HR_ERR_IO;
    }
    size_t n = S_ISREG(sb.st_mode) ? read_head(fd, head, sizeof head) : 0, len;
    long at = script_interp(head, n, &len);
    if (at >= 0 && len < cap) {
        __builtin_memcpy(out, head + at, len);
        out[len] = 0;
        rc = 1;
    }
    close(fd);
    errno = saved;
    return rc;
}

/* dir (dlen bytes; none: the file alone, as execvp does for an empty PATH entry) "/" file. */
static int join(char *out, size_t cap, const char *dir, size_t dlen, const char *file, size_t flen)
{
    size_t slash = dlen > 0, total = dlen + slash + flen;
    if (total + 1 > cap)
        return HR_ERR_LIMIT;
    __builtin_memcpy(out, dir, dlen);
    out[dlen] = '/';
    __builtin_memcpy(out + dlen + slash, file, flen);
    out[total] = 0;
    return 0;
}

/* An executable regular file (execvp goes on past directories and files it may not run). */
static int runnable(const char *path)
{
    struct stat sb;
    if (access(path, X_OK) < 0)
        return 0;
    int fd = open(path, O_PATH | O_CLOEXEC);
    if (fd < 0)
        return 0;
    int ok = fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode);
    close(fd);
    return ok;
}

static int search(const char *file, const char *path_env, char *out, size_t cap)
{
    size_t flen = img_strlen(file);
    const char *p = path_env ? path_env : "/bin:/usr/bin";
    for (;;) {
        const char *end = p;
        while (*end && *end != ':')
            end++;
        if (join(out, cap, p, (size_t)(end - p), file, flen) == 0 && runnable(out))
            return 0;
        if (!*end)
            break;
        p = end + 1;
    }
    if (cap)
        out[0] = 0;
    return HR_ERR_IO;
}

int hr_image_find(const char *file, const char *path_env, char *out, size_t cap)
{
    int saved = errno, rc;
    if (!file || !*file) {
        rc = HR_ERR_ARG;
    } else {
        const char *s = file;
        while (*s && *s != '/')
            s++;
        rc = *s ? join(out, cap, "", 0, file, img_strlen(file)) : search(file, path_env, out, cap);
    }
    errno = saved;
    return rc;
}

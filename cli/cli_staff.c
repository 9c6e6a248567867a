
/*
 * cerebro staff-hash: the hash of a staff password for the module's
 * "cerebro_staff_user NAME HASH" (channels/ngx_cerebro_auth.c checks it):
 * scrypt from OpenSSL, N = 2^14, r = 8, p = 1, a random 16-byte salt,
 * written scrypt$14$8$1$<salt, base64>$<key, base64>.  The password is
 * read from the standard input, never from the command line (which other
 * users see in the process list).
 */

#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "cli.h"


#define CLI_SCRYPT_LN    14
#define CLI_SCRYPT_R     8
#define CLI_SCRYPT_P     1
#define CLI_SALT_LEN     16
#define CLI_KEY_LEN      32


static int cli_staff_read(char *buf, size_t size);


int
cli_staff_hash(cli_ctx_t *ctx)
{
    int            rc;
    unsigned char  salt[CLI_SALT_LEN], key[CLI_KEY_LEN];
    char           password[1024];
    char           salt64[64], key64[64];

    (void) ctx;

    if (cli_staff_read(password, sizeof(password)) != 0) {
        cli_error("give the password on the standard input "
                  "(at least 8 characters, one line)");
        return 2;
    }

    rc = RAND_bytes(salt, sizeof(salt)) == 1
         && EVP_PBE_scrypt(password, strlen(password), salt, sizeof(salt),
                           (uint64_t) 1 << CLI_SCRYPT_LN, CLI_SCRYPT_R,
                           CLI_SCRYPT_P, 64 * 1024 * 1024, key, sizeof(key))
            == 1;

    memset(password, 0, sizeof(password));

    if (!rc) {
        cli_error("OpenSSL's scrypt failed");
        return 1;
    }

    EVP_EncodeBlock((unsigned char *) salt64, salt, sizeof(salt));
    EVP_EncodeBlock((unsigned char *) key64, key, sizeof(key));

    printf("scrypt$%d$%d$%d$%s$%s\n", CLI_SCRYPT_LN, CLI_SCRYPT_R,
           CLI_SCRYPT_P, salt64, key64);

    return 0;
}


/* one line; on a terminal, asked for without echo */
static int
cli_staff_read(char *buf, size_t size)
{
    int             tty;
    size_t          len;
    struct termios  old, quiet;

    tty = isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &old) == 0;

    if (tty) {
        fputs("password: ", stderr);
        quiet = old;
        quiet.c_lflag &= ~ECHO;
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
    }

    if (fgets(buf, size, stdin) == NULL) {
        buf[0] = '\0';
    }

    if (tty) {
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
        fputc('\n', stderr);
    }

    len = strlen(buf);
    while (len && (buf[len - 1] == '\n' || buf[len - 1] == '\r')) {
        buf[--len] = '\0';
    }

    return len >= 8 ? 0 : -1;
}

/*
 * driver.c - run a fuzz target over files, without libFuzzer.
 *
 * usage: NAME-replay FILE|DIR...
 *
 * Links with one t/fuzz/NAME_fuzz.c and calls its LLVMFuzzerTestOneInput
 * once per file (a directory: once per file in it, in name order). This is
 * how make check replays the seed corpora with the normal build, fast and
 * deterministic; "make fuzz" builds the same targets with libFuzzer to
 * search for new inputs. Prints one line per file and exits 0; a target
 * that finds a broken promise aborts, which fails the test.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* run_file - feed one file to the target; 0, or -1 if it cannot be read */
static int run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf;
	long n;

	if (!f)
		return -1;
	if (fseek(f, 0, SEEK_END) < 0 || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) < 0) {
		fclose(f);
		return -1;
	}
	/* An exact-size copy, so an over-read shows under ASan. */
	buf = malloc(n ? (size_t)n : 1);
	if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		fclose(f);
		return -1;
	}
	fclose(f);
	LLVMFuzzerTestOneInput(buf, (size_t)n);
	free(buf);
	printf("replayed %s (%ld bytes)\n", path, n);
	return 0;
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

int main(int argc, char **argv)
{
	int files = 0;

	for (int i = 1; i < argc; i++) {
		struct stat st;
		if (stat(argv[i], &st) < 0) {
			fprintf(stderr, "%s: cannot read\n", argv[i]);
			return 2;
		}
		if (!S_ISDIR(st.st_mode)) {
			if (run_file(argv[i]) < 0)
				return 2;
			files++;
			continue;
		}
		struct dirent **ents;
		int n = scandir(argv[i], &ents, NULL, by_name);
		for (int k = 0; k < n; k++) {
			char path[4096];
			snprintf(path, sizeof(path), "%s/%s", argv[i], ents[k]->d_name);
			if (ents[k]->d_name[0] != '.' && stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
				if (run_file(path) < 0)
					return 2;
				files++;
			}
			free(ents[k]);
		}
		free(ents);
	}
	printf("%d inputs replayed\n", files);
	return files > 0 ? 0 : 2;
}

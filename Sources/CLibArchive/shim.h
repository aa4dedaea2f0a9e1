#ifndef CLIBARCHIVE_SHIM_H
#define CLIBARCHIVE_SHIM_H
#include <archive.h>
#include <archive_entry.h>

/* archive_set_error is variadic, which Swift cannot call: the stream callbacks of ArchiveIO report
   their failures through this typed forwarder (the message is passed as an argument, never as a
   format). */
static inline void clibarchive_set_error(struct archive *a, int number, const char *message) {
    archive_set_error(a, number, "%s", message);
}
#endif

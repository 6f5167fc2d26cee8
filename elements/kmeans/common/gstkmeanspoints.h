/* gst-kmeans: reading a buffer of points as float32 rows, and the bad-input policy.
 * Part of the glue the k-means elements share (elements/kmeans/common/).
 */
#ifndef __GST_KMEANS_POINTS_H__
#define __GST_KMEANS_POINTS_H__

#include <gst/gst.h>
#include "kmeans.h"
#include "gstkmeanscaps.h"

G_BEGIN_DECLS

/* ------------------------------------------------------- reading points */

typedef enum
{
  GST_KMEANS_ON_BAD_INPUT_ERROR,        /* post an error, stop the stream */
  GST_KMEANS_ON_BAD_INPUT_SKIP          /* count, log, drop the bad rows */
} GstKMeansOnBadInput;

GType gst_kmeans_on_bad_input_get_type (void);
#define GST_TYPE_KMEANS_ON_BAD_INPUT (gst_kmeans_on_bad_input_get_type ())

typedef struct
{
  gfloat *scratch;              /* reused conversion / filtering buffer */
  gsize scratch_rows;
  guint64 bad_rows;             /* rows with NaN/Inf dropped so far */
  guint64 bad_buffers;          /* buffers dropped whole (size not rows) */
  gsize last_bad_rows;          /* of the last buffer read: rows dropped */
  gsize last_first_bad_row;     /* ... and the index of the first one */
} GstKMeansPointsReader;

void gst_kmeans_points_reader_init (GstKMeansPointsReader * reader);
void gst_kmeans_points_reader_clear (GstKMeansPointsReader * reader);

typedef enum
{
  GST_KMEANS_READ_OK,
  GST_KMEANS_READ_PARTIAL_ROW,  /* size is not a whole number of rows */
  GST_KMEANS_READ_NON_FINITE    /* some rows had NaN or Inf */
} GstKMeansReadStatus;

/* Returns the float32 rows of @data (zero-copy when the input is F32 and
 * every value is finite; S16 audio and video pixels are converted, a
 * frame's pixels row by row), and their count in @n_rows.  Rows holding
 * NaN or Inf are left out and counted; a size that is not whole rows (for
 * video: not exactly one frame) yields no rows.  The status tells the caller what to report under its policy;
 * the reader's counters keep the totals. */
const gfloat *gst_kmeans_points_read (GstKMeansPointsReader * reader,
    const GstKMeansPointsInfo * info, const guint8 * data, gsize size,
    gsize * n_rows, GstKMeansReadStatus * status);

/* Reports what the last gst_kmeans_points_read() found wrong with a
 * buffer of @size bytes, under @policy.  ERROR: posts a GST_ELEMENT_ERROR
 * naming the problem (which point, how many bytes) and returns FALSE.
 * SKIP: posts a warning message the first time (*warned) and logs every
 * later skip; returns TRUE.  *n_skipped gets the points left out: the bad
 * rows, or every row a partial-row buffer touched (a video buffer of the
 * wrong size: every pixel of the frame). */
gboolean gst_kmeans_points_report_bad (GstElement * element,
    const GstKMeansPointsReader * reader, const GstKMeansPointsInfo * info,
    GstKMeansReadStatus status, gsize size, GstKMeansOnBadInput policy,
    gboolean * warned, guint64 * n_skipped);

/* gst_kmeans_points_report_bad() for an element that keeps its
 * on-bad-input *@policy and its *@skipped_points count under its object
 * lock (kmeans-assign, -score, -viz). */
gboolean gst_kmeans_points_handle_bad (GstElement * element,
    const GstKMeansPointsReader * reader, const GstKMeansPointsInfo * info,
    GstKMeansReadStatus status, gsize size, const GstKMeansOnBadInput * policy,
    gboolean * warned, guint64 * skipped_points);

G_END_DECLS

#endif /* __GST_KMEANS_POINTS_H__ */

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
  gpointer line;                /* video: one row unpacked (ARGB/AYUV) */
  gsize line_size;
  guint64 bad_rows;             /* rows with NaN/Inf dropped so far */
  guint64 bad_buffers;          /* buffers dropped whole (size not rows) */
  gsize last_bad_rows;          /* of the last buffer read: rows dropped */
  gsize last_first_bad_row;     /* ... and the index of the first one */
  /* video: why the last buffer dropped whole was not a frame (static);
   * NULL when it had no GstVideoMeta and the wrong size. */
  const gchar *last_frame_problem;
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
 * video: not exactly one frame of the caps' default layout) yields no
 * rows.  The status tells the caller what to report under its policy; the
 * reader's counters keep the totals.  Elements read buffers with
 * gst_kmeans_points_read_buffer(), which also honours a GstVideoMeta. */
const gfloat *gst_kmeans_points_read (GstKMeansPointsReader * reader,
    const GstKMeansPointsInfo * info, const guint8 * data, gsize size,
    gsize * n_rows, GstKMeansReadStatus * status);

/* gst_kmeans_points_read() of a buffer that the caller has mapped into
 * @map with gst_kmeans_points_map_buffer() (rows read in place point into
 * that mapping).  A video frame is mapped here, with gst_video_frame_map(),
 * so that the strides and plane offsets of its GstVideoMeta are honoured
 * (only @map's size is read then); a buffer that is not one frame (see
 * gst_kmeans_points_read_frame()) yields no rows and PARTIAL_ROW. */
const gfloat *gst_kmeans_points_read_buffer (GstKMeansPointsReader * reader,
    const GstKMeansPointsInfo * info, GstBuffer * buffer,
    const GstMapInfo * map, gsize * n_rows, GstKMeansReadStatus * status);

/* Maps @buffer for reading into @map for gst_kmeans_points_read_buffer():
 * a video frame is mapped by the read itself, so for video @map only gets
 * the buffer's size (mapping it whole would merge its planes into one
 * copy, unread).  Unmap with gst_buffer_unmap(), as always.  FALSE when
 * the buffer cannot be mapped. */
gboolean gst_kmeans_points_map_buffer (const GstKMeansPointsInfo * info,
    GstBuffer * buffer, GstMapInfo * map);

/* video/x-raw: maps @buffer into @frame with @flags as one frame of the
 * caps, and returns its pixels as points, row by row (see
 * GST_KMEANS_VIDEO_CAPS for their values).  A buffer with a GstVideoMeta
 * is read through the meta's strides and plane offsets, which must match
 * the caps' format and size and lie within the buffer; one without must
 * be exactly the caps' default frame.  Otherwise: no rows, PARTIAL_ROW,
 * a bad buffer counted, the reason in last_frame_problem.  @frame is
 * mapped exactly when the status is OK; the caller unmaps it. */
const gfloat *gst_kmeans_points_read_frame (GstKMeansPointsReader * reader,
    const GstKMeansPointsInfo * info, GstBuffer * buffer, GstMapFlags flags,
    GstVideoFrame * frame, gsize * n_rows, GstKMeansReadStatus * status);

/* The way back for kmeans-assign output=recolor: writes into @frame
 * (mapped for writing by gst_kmeans_points_read_frame()) the colour of
 * center @idx[i] of @centers (K rows of D values, the point scale) over
 * the colour of pixel i, through the format's own unpacking and packing,
 * a row at a time, so alpha and padding bits keep their values.  Colours
 * are rounded and clamped to 0..255 (deeper formats: times 257, to
 * 0..65535, then packed by the video library to their depth). */
void gst_kmeans_points_write_frame (const GstKMeansPointsInfo * info,
    GstVideoFrame * frame, const gint32 * idx, const gfloat * centers,
    guint k);

/* The points @buffer holds, before reading it: whole points of its size,
 * or for video the caps' width x height when it has a GstVideoMeta or is
 * exactly one default frame (0 otherwise). */
gsize gst_kmeans_points_buffer_count (const GstKMeansPointsInfo * info,
    GstBuffer * buffer);

/* Reports what the last read of the reader found wrong with a
 * buffer of @size bytes, under @policy.  ERROR: posts a GST_ELEMENT_ERROR
 * naming the problem (which point, how many bytes) and returns FALSE.
 * SKIP: posts a warning message the first time (*warned) and logs every
 * later skip; returns TRUE.  *n_skipped gets the points left out: the bad
 * rows, or every row a partial-row buffer touched (a video buffer that is
 * not a frame: every pixel of the frame). */
gboolean gst_kmeans_points_report_bad (GstElement * element,
    const GstKMeansPointsReader * reader, const GstKMeansPointsInfo * info,
    GstKMeansReadStatus status, gsize size, GstKMeansOnBadInput policy,
    gboolean * warned, guint64 * n_skipped);

/* gst_kmeans_points_report_bad() for an element that keeps its
 * on-bad-input *@policy and its *@skipped_points count under its object
 * lock (kmeans-viz; the model filter also counts per buffer). */
gboolean gst_kmeans_points_handle_bad (GstElement * element,
    const GstKMeansPointsReader * reader, const GstKMeansPointsInfo * info,
    GstKMeansReadStatus status, gsize size, const GstKMeansOnBadInput * policy,
    gboolean * warned, guint64 * skipped_points);

/* ------------------------------------------------------ column selection */

/* Installs @prop_id as the string property `columns` (default NULL: every
 * column; mutable in READY) of an element that reads points, with the
 * syntax of gst_kmeans_points_info_select_columns(). */
void gst_kmeans_columns_install_property (GObjectClass * klass,
    guint prop_id);

/* In set_caps, after gst_kmeans_points_info_from_caps(): applies the
 * element's `columns` value *@columns (read under the object lock) to
 * @info from @caps.  On a selection that does not fit, posts a
 * GST_ELEMENT_ERROR naming it and the input's columns and returns FALSE;
 * @info is then unchanged. */
gboolean gst_kmeans_points_apply_columns (GstElement * element,
    GstKMeansPointsInfo * info, gchar * const *columns, const GstCaps * caps);

G_END_DECLS

#endif /* __GST_KMEANS_POINTS_H__ */

"""Writes reference_events.tfevents with tensorboard's own protobuf classes and RecordWriter.

The Java test (TensorBoardWriterTest) writes the same events with TensorBoardWriter and expects
the same bytes. Run with the `tensorboard` package installed (2.21.0 was used):
    python make_reference_events.py
"""
import struct

from tensorboard.compat.proto import event_pb2, summary_pb2
from tensorboard.summary.writer.record_writer import RecordWriter

# (wall_time, step, [(tag, value), ...]); wall times are exact in both float64 and decimal
EVENTS = [
    (1767225600.25, 1, [("train/loss", 2.5)]),
    (1767225601.5, 10, [("train/learning_rate", 2e-4), ("train/grad_norm", 0.75)]),
    (1767225602.0, 2**33 + 5, [("eval/loss", 0.0), ("eval/perplexity", -0.0)]),
    (1767225603.0, -1, [("memory/rss_mib", 1234.5), ("日本語/タグ", 3.0e38)]),
    (1767225604.0, 0, [("train/loss", float("nan")), ("train/epoch", float("inf"))]),
]

with open("reference_events.tfevents", "wb") as f:
    writer = RecordWriter(f)
    header = event_pb2.Event(
        wall_time=1767225599.0,
        file_version="brain.Event:2",
        source_metadata=event_pb2.SourceMetadata(writer="qlora4j"),
    )
    writer.write(header.SerializeToString())
    for wall_time, step, values in EVENTS:
        summary = summary_pb2.Summary(
            value=[summary_pb2.Summary.Value(tag=t, simple_value=v) for t, v in values]
        )
        event = event_pb2.Event(wall_time=wall_time, step=step, summary=summary)
        writer.write(event.SerializeToString())

using System.Text.Json;
using RouterHost.Abstractions;
using RouterHost.Abstractions.Status;
using RouterHost.Pipeline;

namespace RouterHost.Hosting;

/// <summary>
/// The running router as one JSON document, for <c>routerhost show</c>: interfaces (and stage sources) with
/// their traffic and drops and each backend's own status (a TUN device's kernel counters), stages with their packet
/// counts, and each stage's own status (<see cref="IStatusReporter"/>). Typed throughout (counts and bytes as integers,
/// times as unix seconds, lists as arrays); the schema is docs/status.md, and a test checks a live router's document
/// against it.
/// </summary>
internal static class StatusDocument
{
    /// <summary>
    /// A writer for the document (or a part of it): text as it is, not escaped for embedding in HTML — a peer's source
    /// <c>config+uapi</c> stays that, not <c>config\u002Buapi</c>; quotes, backslashes and control characters are still
    /// escaped, so the document is valid JSON for any value.
    /// </summary>
    internal static Utf8JsonWriter CreateWriter(Stream stream, bool indented) =>
        new(stream, new JsonWriterOptions { Indented = indented, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });

    public static byte[] Create(Router router, PipelineRunner runner, DateTime startedUtc)
    {
        using var stream = new MemoryStream();
        using (Utf8JsonWriter writer = CreateWriter(stream, indented: true))
        {
            writer.WriteStartObject();
            writer.WriteNumber("pid", Environment.ProcessId);
            writer.WriteNumber("time_unix", DateTimeOffset.UtcNow.ToUnixTimeSeconds());
            writer.WriteNumber("uptime_seconds", Math.Round((DateTime.UtcNow - startedUtc).TotalSeconds, 1));
            writer.WriteString("contract", PluginContract.Text);

            writer.WriteStartArray("interfaces");
            foreach (IGrouping<string, QueueStatistics> group in runner.Metrics.SnapshotQueues().GroupBy(q => q.Interface))
            {
                writer.WriteStartObject();
                writer.WriteString("name", group.Key);
                RouterInterface? iface = router.Interfaces.FirstOrDefault(i => i.Name == group.Key);
                writer.WriteString("backend", iface?.Backend ?? "stage source");
                writer.WriteNumber("queues", group.Count());
                writer.WriteNumber("rx_packets", group.Sum(q => q.ReceivedPackets));
                writer.WriteNumber("rx_bytes", group.Sum(q => q.ReceivedBytes));
                writer.WriteNumber("tx_packets", group.Sum(q => q.SentPackets));
                writer.WriteNumber("tx_bytes", group.Sum(q => q.SentBytes));
                WriteCounts(writer, "rx_drops", group.SelectMany(q => q.ReceiveDrops));
                WriteCounts(writer, "tx_drops", group.SelectMany(q => q.SendDrops));
                if (iface?.Container is IStatusReporter containerReporter)
                {
                    WriteStatus(writer, containerReporter);
                }

                writer.WriteEndObject();
            }

            writer.WriteEndArray();

            writer.WriteStartArray("stages");
            IReadOnlyList<StageStatistics> stages = runner.Metrics.SnapshotStages();
            foreach (RouterStage stage in router.Stages)
            {
                StageStatistics? stats = stages.FirstOrDefault(s => s.Name == stage.Name);
                writer.WriteStartObject();
                writer.WriteString("name", stage.Name);
                writer.WriteString("type", stage.Type);
                writer.WriteNumber("in", stats?.In ?? 0);
                writer.WriteNumber("forwarded", stats?.Forwarded ?? 0);
                writer.WriteNumber("forwarded_bytes", stats?.ForwardedBytes ?? 0);
                writer.WriteNumber("consumed", stats?.Consumed ?? 0);
                writer.WriteNumber("emitted", stats?.Emitted ?? 0);
                WriteCounts(writer, "dropped", stats?.Dropped ?? []);
                WriteCounts(writer, "rejected", stats?.Rejected ?? []);
                if (stage.Stage is IStatusReporter reporter)
                {
                    WriteStatus(writer, reporter);
                }

                writer.WriteEndObject();
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        return stream.ToArray();
    }

    /// <summary>The reporter's object as the "status" property.</summary>
    private static void WriteStatus(Utf8JsonWriter writer, IStatusReporter reporter)
    {
        writer.WritePropertyName("status");
        try
        {
            // Written apart first, so a reporter that fails halfway cannot break the document.
            using var part = new MemoryStream();
            using (Utf8JsonWriter partWriter = CreateWriter(part, indented: false))
            {
                reporter.WriteStatus(partWriter);
            }

            writer.WriteRawValue(part.ToArray());
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            writer.WriteStringValue($"status unavailable: {ex.GetType().Name}: {ex.Message}");
        }
    }

    private static void WriteCounts(Utf8JsonWriter writer, string name, IEnumerable<KeyValuePair<string, long>> counts)
    {
        writer.WriteStartObject(name);
        foreach (IGrouping<string, KeyValuePair<string, long>> reason in counts.GroupBy(c => c.Key).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            writer.WriteNumber(reason.Key, reason.Sum(c => c.Value));
        }

        writer.WriteEndObject();
    }
}

using System.Globalization;
using FsCheck;
using FsCheck.Fluent;
using Microsoft.Extensions.Configuration;
using RouterHost.Abstractions;
using RouterHost.Settings.TestSupport;

namespace RouterHost.Settings.Tests;

public sealed class SettingsReaderPropertyTests
{
    private const string Root = "Interfaces:x:Settings";

    private static readonly string[] s_keys =
        ["Integer", "Number", "Boolean", "Duration", "Choice", "Address", "Device", "Namespace", "List", "List:0", "List:1:Deep", "Integer:Inner", "Other", " "];

    private static readonly string[] s_known = ["Integer", "Number", "Boolean", "Duration", "Choice", "Address", "Device", "Namespace", "List"];

    [Fact]
    public void Any_values_never_throw_and_every_result_is_in_range_or_the_default_with_a_problem_under_the_section()
    {
        Prop.ForAll(SettingsGen.AnyValues(s_keys).ToArbitrary(), values =>
        {
            IConfigurationSection section = SettingsSection.Under(Root, values);
            var reader = new SettingsReader([]);
            reader.CheckKeys(section, s_known);
            long integer = reader.Integer(section, "Integer", 5, 1, 10);
            double number = reader.Number(section, "Number", 5, 0.1, 300);
            TimeSpan duration = reader.Duration(section, "Duration", TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(100), TimeSpan.FromHours(1));
            reader.Boolean(section, "Boolean", true);
            reader.Choice(section, "Choice", "Auto", "Copy");
            reader.Address(section, "Address");
            reader.DeviceName(section, "Device", "eth0");
            reader.NamespaceName(section, "Namespace");
            reader.Strings(section.GetSection("List"));
            return integer is >= 1 and <= 10
                && number is >= 0.1 and <= 300
                && duration >= TimeSpan.FromMilliseconds(100) && duration <= TimeSpan.FromHours(1)
                && reader.Problems.All(p => p.Path.StartsWith(Root + ":", StringComparison.Ordinal) && p.Message.Length > 0);
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void An_integer_in_range_is_read_as_it_is_and_one_outside_is_one_problem_naming_the_range()
    {
        Prop.ForAll(ArbMap.Default.ArbFor<long>(), value =>
        {
            string text = value.ToString(CultureInfo.InvariantCulture);
            IConfigurationSection section = SettingsSection.Under(Root, new Dictionary<string, string?> { ["N"] = text });
            var reader = new SettingsReader([]);
            long read = reader.Integer(section, "N", 0, -1000, 1000);
            bool inRange = value is >= -1000 and <= 1000;
            return inRange
                ? read == value && reader.Problems.Count == 0
                : read == 0 && reader.Problems.Count == 1 && reader.Problems[0].Message == $"must be a whole number between -1000 and 1000 (got '{text}')";
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void A_duration_written_with_any_unit_reads_back_as_that_many_units()
    {
        Gen<(int Count, string Unit, double Seconds)> gen =
            Gen.Choose(0, 100_000).SelectMany(n => Gen.Elements(("ms", 0.001), ("s", 1.0), ("m", 60.0), ("h", 3600.0), ("d", 86400.0), ("", 1.0))
                .Select(u => (n, u.Item1, u.Item2)));
        Prop.ForAll(gen.ToArbitrary(), d =>
            SettingsReader.TryParseDuration($"{d.Count}{d.Unit}", out TimeSpan value) && value == TimeSpan.FromSeconds(d.Count * d.Seconds))
            .QuickCheckThrowOnFailure();
    }

    [Fact]
    public void Any_text_as_a_duration_never_throws_and_is_never_negative()
    {
        Prop.ForAll(ArbMap.Default.ArbFor<string>(), text =>
            text is null || !SettingsReader.TryParseDuration(text, out TimeSpan value) || value >= TimeSpan.Zero)
            .QuickCheckThrowOnFailure();
    }
}

using System.Globalization;
using System.Reflection;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace TcpActors.Benchmarks;

/// <summary>
/// How many bytes one invocation of the benchmarks of a class processes, for <see cref="ThroughputColumn"/>.
/// A benchmark parameter named <c>Size</c> takes precedence.
/// </summary>
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Method)]
public sealed class BytesPerOperationAttribute(int bytes) : Attribute
{
    public int Bytes { get; } = bytes;
}

/// <summary>GB/s (10^9 bytes per second) = bytes per operation / mean nanoseconds.</summary>
public sealed class ThroughputColumn : IColumn
{
    public string Id => nameof(ThroughputColumn);
    public string ColumnName => "GB/s";
    public bool AlwaysShow => true;
    public ColumnCategory Category => ColumnCategory.Custom;
    public int PriorityInCategory => 0;
    public bool IsNumeric => true;
    public UnitType UnitType => UnitType.Dimensionless;
    public string Legend => "Gigabytes (10^9) of input processed per second: bytes per operation / mean ns";

    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;
    public bool IsAvailable(Summary summary) => true;

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
    {
        double? mean = summary[benchmarkCase]?.ResultStatistics?.Mean;
        int? bytes = BytesOf(benchmarkCase);
        if (mean is not > 0 || bytes is null)
            return "-";
        return (bytes.Value / mean.Value).ToString("0.00", CultureInfo.InvariantCulture);
    }

    public static int? BytesOf(BenchmarkCase benchmarkCase)
    {
        foreach (var p in benchmarkCase.Parameters.Items)
            if (p.Name == "Size" && p.Value is int size)
                return size;
        var method = benchmarkCase.Descriptor.WorkloadMethod;
        return (method.GetCustomAttribute<BytesPerOperationAttribute>()
            ?? method.DeclaringType?.GetCustomAttribute<BytesPerOperationAttribute>())?.Bytes;
    }

    public override string ToString() => ColumnName;
}

/// <summary>The default config plus the GB/s column.</summary>
public sealed class ThroughputConfig : ManualConfig
{
    public ThroughputConfig() => AddColumn(new ThroughputColumn());
}

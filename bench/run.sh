#!/usr/bin/env bash
# Benchmarks sitelens against GDAL (ogrinfo/ogr2ogr) on large inputs and prints one markdown table.
#
#   bash bench/run.sh [--quick] [--runs N]      (from the project root, with ../shared beside it)
#
# Inputs: buildings_COUNT.{geojson,shp}, COUNT polygons made by target/release/make_bench_data from
# the 13,491 real building footprints in ../shared/data/perf/boulder_buildings.zip, copied in
# shifted, non-overlapping tiles. They are built into target/bench-data when missing; set
# BENCH_DATA=DIR to use (or build) them elsewhere, e.g. BENCH_DATA=/tmp/bench.
#
#   default   1,000,000 polygons, median of 3 runs per row
#   --quick   100,000 polygons, 1 run unless --runs says otherwise (to check the script)
#   --runs N  N runs per row (RUNS=N in the environment does the same)
#   BENCH_BIG=1  also the streamed export of a 10,000,000-polygon GeoJSON and Shapefile (about
#             4.3 GB and 2.3 GB, built once into the data folder; sitelens only, one run: GDAL
#             takes minutes on them)
#
# Every row is measured in the same invocation. Wall time is taken by bash (EPOCHREALTIME) around
# `/usr/bin/time -f "%e %M"`, which gives each command's peak RSS. Outputs go to a temporary
# directory that is removed at the end.

set -euo pipefail
export LC_ALL=C

die() {
    echo "bench/run.sh: $*" >&2
    exit 1
}

QUICK=0
RUNS_GIVEN=${RUNS:+1}
RUNS=${RUNS:-3}
while (($#)); do
    case $1 in
    --quick) QUICK=1 ;;
    --runs)
        (($# >= 2)) || die "--runs needs a number"
        RUNS=$2
        RUNS_GIVEN=1
        shift
        ;;
    -h | --help)
        sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'
        exit 0
        ;;
    *) die "unknown argument '$1' (use --quick, --runs N)" ;;
    esac
    shift
done
if ((QUICK)); then
    COUNT=100000
    [[ -n $RUNS_GIVEN ]] || RUNS=1
else
    COUNT=1000000
fi
[[ $RUNS =~ ^[1-9][0-9]*$ ]] || die "--runs must be a positive number, got '$RUNS'"

[[ -f Cargo.toml && -d src ]] || die "run me from the project root: bash bench/run.sh"
PERF_ZIP=../shared/data/perf/boulder_buildings.zip
[[ -f $PERF_ZIP ]] || die "$PERF_ZIP is missing (the shared data must sit beside the project)"
for tool in cargo ogrinfo ogr2ogr xvfb-run timeout; do
    command -v "$tool" >/dev/null ||
        die "'$tool' is not installed (GDAL: apt-get install gdal-bin; xvfb-run: apt-get install xvfb)"
done
[[ -x /usr/bin/time ]] || die "/usr/bin/time is not installed (apt-get install time)"
((BASH_VERSINFO[0] >= 5)) || die "bash 5 or newer is needed (EPOCHREALTIME)"

DATA=${BENCH_DATA:-target/bench-data}
SITELENS=target/release/sitelens
GEOJSON=$DATA/buildings_$COUNT.geojson
SHP=$DATA/buildings_$COUNT.shp
DETAILED=$DATA/detailed_1600.geojson

WORK=$(mktemp -d "${TMPDIR:-/tmp}/sitelens-bench.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

echo "building release binaries (cargo build --release --bins)…" >&2
cargo build --release --bins >&2
for f in "$GEOJSON" "$SHP" "${SHP%.shp}.dbf" "${SHP%.shp}.shx"; do
    if [[ ! -f $f ]]; then
        echo "building the $COUNT-polygon inputs in $DATA…" >&2
        # Into a scratch directory first, so that an interrupted build leaves no partial input.
        rm -rf "$DATA/.partial"
        target/release/make_bench_data "$PERF_ZIP" "$DATA/.partial" "$COUNT" >&2
        mv -f "$DATA/.partial"/buildings_"$COUNT".* "$DATA"/
        rmdir "$DATA/.partial"
        break
    fi
done

if [[ ! -f $DETAILED ]]; then
    echo "building the detailed-polygon input in $DATA…" >&2
    rm -rf "$DATA/.partial"
    target/release/make_bench_data --detailed "$DATA/.partial" >&2
    mv -f "$DATA/.partial/${DETAILED##*/}" "$DATA"/
    rmdir "$DATA/.partial"
fi

# --- helpers ------------------------------------------------------------------------------------

# measure CMD…: runs CMD once untimed (warm-up: file cache, and this VM hands memory freed by the
# previous command back to its host, so the first big allocation after it pays extra), then
# $RUNS times (stdout of run i in $WORK/run.i.out, stderr in .err, outputs in a fresh $WORK/out
# each run). Sets M_TIME (median wall seconds), M_RSS (largest peak RSS, KiB).
measure() {
    local i t0 t1 times=() rss=0 r
    for ((i = 0; i <= RUNS; i++)); do
        rm -rf "$WORK/out"
        mkdir "$WORK/out"
        t0=$EPOCHREALTIME
        if ! /usr/bin/time -f "%e %M" -o "$WORK/time" "$@" >"$WORK/run.$i.out" 2>"$WORK/run.$i.err"; then
            echo "bench/run.sh: this command failed:" >&2
            echo "  $*" >&2
            tail -n 20 "$WORK/run.$i.err" >&2
            exit 1
        fi
        t1=$EPOCHREALTIME
        ((i == 0)) && continue
        times+=("$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.6f", b - a }')")
        r=$(tail -n 1 "$WORK/time" | awk '{ print $2 }')
        ((r > rss)) && rss=$r
    done
    M_TIME=$(median "${times[@]}")
    M_RSS=$rss
}

# median NUMBER…
median() {
    printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 }
        END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# Seconds as "215 ms" below a second, else "3.41 s".
fmt_s() {
    awk -v s="$1" 'BEGIN { if (s < 1) printf "%.0f ms", s * 1000; else if (s < 100) printf "%.2f s", s; else printf "%.0f s", s }'
}
fmt_ms() { awk -v m="$1" 'BEGIN { printf (m < 10 ? "%.1f ms" : "%.0f ms"), m }'; }
fmt_rss() { awk -v k="$1" 'BEGIN { printf "%.0f MiB", k / 1024 }'; }
thousands() { echo "$1" | sed ':a; s/\B[0-9]\{3\}\>/,&/; ta'; }
ratio() { awk -v r="$1" -v s="$2" 'BEGIN { printf "%.1f×", r / s }'; }

# feature_count FILE: what GDAL reads in FILE (it reads GeoJSON whole to count).
feature_count() {
    ogrinfo -ro -so -al "$1" | awk -F': ' '/^Feature Count/ && !n++ { print $2 }'
}

ROWS=()
# Joins the fields of a row with " | ".
add_row() {
    local line="|" f
    for f in "$@"; do line+=" $f |"; done
    ROWS+=("$line")
}

# --- the inputs ---------------------------------------------------------------------------------

"$SITELENS" info --json "$SHP" >"$WORK/info.json"
BBOX=$(tr -d ' \n' <"$WORK/info.json" | grep -o '"bbox_wgs84":\[[^]]*\]' | sed -n 1p |
    sed 's/.*\[//; s/\]//')
[[ $BBOX =~ ^-?[0-9.e-]+,-?[0-9.e-]+,-?[0-9.e-]+,-?[0-9.e-]+$ ]] ||
    die "no bbox_wgs84 in 'sitelens info --json $SHP'"
IFS=, read -r MINX MINY MAXX MAXY <<<"$BBOX"
# A centred box of 10 % of the extent's area (each side × √0.1): the filtered exports.
read -r FX0 FY0 FX1 FY1 < <(awk -v a="$MINX" -v b="$MINY" -v c="$MAXX" -v d="$MAXY" 'BEGIN {
    f = sqrt(0.1) / 2; cx = (a + c) / 2; cy = (b + d) / 2; w = c - a; h = d - b
    printf "%.7f %.7f %.7f %.7f\n", cx - w * f, cy - h * f, cx + w * f, cy + h * f }')
# About 300 m × 200 m at the centre of the extent: street level.
read -r SX0 SY0 SX1 SY1 < <(awk -v a="$MINX" -v b="$MINY" -v c="$MAXX" -v d="$MAXY" 'BEGIN {
    cx = (a + c) / 2; cy = (b + d) / 2; m = 111320; dx = 150 / (m * cos(cy * 3.14159265358979 / 180)); dy = 100 / m
    printf "%.7f %.7f %.7f %.7f\n", cx - dx, cy - dy, cx + dx, cy + dy }')

# --- load ---------------------------------------------------------------------------------------

echo "measuring: load…" >&2
measure "$SITELENS" info "$GEOJSON"
SL_T=$M_TIME SL_R=$M_RSS
measure ogrinfo -ro -al -so "$GEOJSON"
add_row "load: \`sitelens info\` vs \`ogrinfo -ro -al -so\`" ".geojson" "$(fmt_s "$SL_T")" "$(fmt_rss "$SL_R")" \
    "$(fmt_s "$M_TIME")" "$(fmt_rss "$M_RSS")" "$(ratio "$M_TIME" "$SL_T")"

measure "$SITELENS" info "$SHP"
SL_T=$M_TIME SL_R=$M_RSS
measure ogrinfo -ro -al -so "$SHP"
add_row "load: \`sitelens info\` vs \`ogrinfo -ro -al -so\` ¹" ".shp" "$(fmt_s "$SL_T")" "$(fmt_rss "$SL_R")" \
    "$(fmt_s "$M_TIME")" "$(fmt_rss "$M_RSS")" "$(ratio "$M_TIME" "$SL_T")"
measure ogr2ogr -f Memory /vsimem/x "$SHP"
add_row "load, every feature read: \`sitelens info\` vs \`ogr2ogr -f Memory\` ¹" ".shp" "$(fmt_s "$SL_T")" \
    "$(fmt_rss "$SL_R")" "$(fmt_s "$M_TIME")" "$(fmt_rss "$M_RSS")" "$(ratio "$M_TIME" "$SL_T")"

# --- exports ------------------------------------------------------------------------------------

# export_row LABEL INPUT [filtered|box]: sitelens export vs ogr2ogr, with the output counts
# checked: every feature, or the 10 % box with the attribute filter, or the box alone.
export_row() {
    local label=$1 input=$2 filtered=${3:-} sl_args=() gdal_args=() sl_t sl_r n_sl n_gdal
    if [[ $filtered == filtered ]]; then
        sl_args=(--where "year_built >= 1970" "--bbox=$FX0,$FY0,$FX1,$FY1")
        gdal_args=(-where "year_built >= 1970" -spat "$FX0" "$FY0" "$FX1" "$FY1")
    elif [[ $filtered == box ]]; then
        sl_args=("--bbox=$FX0,$FY0,$FX1,$FY1")
        gdal_args=(-spat "$FX0" "$FY0" "$FX1" "$FY1")
    fi
    measure "$SITELENS" export "$input" -o "$WORK/out/sitelens.geojson" "${sl_args[@]}"
    sl_t=$M_TIME sl_r=$M_RSS
    mv "$WORK/out/sitelens.geojson" "$WORK/sitelens.geojson"
    measure ogr2ogr -f GeoJSON -lco RFC7946=YES "$WORK/out/gdal.geojson" "$input" "${gdal_args[@]}"
    n_sl=$(feature_count "$WORK/sitelens.geojson")
    n_gdal=$(feature_count "$WORK/out/gdal.geojson")
    if [[ -z $n_sl || $n_sl != "$n_gdal" ]]; then
        echo "bench/run.sh: FEATURE COUNTS DIFFER for $label on $input:" >&2
        echo "  sitelens wrote ${n_sl:-?} features, ogr2ogr wrote ${n_gdal:-?}" >&2
        exit 1
    fi
    rm -f "$WORK/sitelens.geojson"
    add_row "$label" ".${input##*.} → $(thousands "$n_sl") features" "$(fmt_s "$sl_t")" "$(fmt_rss "$sl_r")" \
        "$(fmt_s "$M_TIME")" "$(fmt_rss "$M_RSS")" "$(ratio "$M_TIME" "$sl_t")"
}

echo "measuring: exports…" >&2
FILTER_LABEL="filtered export ² (\`--where \"year_built >= 1970\"\`, 10 % box)"
export_row "$FILTER_LABEL" "$GEOJSON" filtered
export_row "$FILTER_LABEL" "$SHP" filtered
export_row "full export to GeoJSON ²" "$GEOJSON"
export_row "full export to GeoJSON ²" "$SHP"

# The streamed export on ten times the data: memory stays what one piece needs.
if [[ -n ${BENCH_BIG:-} ]]; then
    BIG=10000000
    if [[ ! -f $DATA/buildings_$BIG.geojson || ! -f $DATA/buildings_$BIG.dbf ]]; then
        echo "building the $BIG-polygon inputs in $DATA…" >&2
        rm -rf "$DATA/.partial"
        target/release/make_bench_data "$PERF_ZIP" "$DATA/.partial" "$BIG" >&2
        mv -f "$DATA/.partial"/buildings_"$BIG".* "$DATA"/
        rmdir "$DATA/.partial"
    fi
    echo "measuring: streamed exports of $BIG polygons…" >&2
    RUNS_SAVED=$RUNS
    RUNS=1
    for f in "$DATA/buildings_$BIG.geojson" "$DATA/buildings_$BIG.shp"; do
        measure "$SITELENS" export "$f" -q -o "$WORK/out/big.geojson" \
            --where "year_built >= 1970" "--bbox=$FX0,$FY0,$FX1,$FY1"
        n=$(feature_count "$WORK/out/big.geojson")
        add_row "$FILTER_LABEL, streamed ⁹" ".${f##*.} ($(thousands "$BIG") polygons) → $(thousands "$n") features" \
            "$(fmt_s "$M_TIME")" "$(fmt_rss "$M_RSS")" "—" "—" "—"
    done
    RUNS=$RUNS_SAVED
fi

# --- box reads through a file's own index -------------------------------------------------------

# The same polygons as a FlatGeobuf (packed Hilbert R-tree) and a GeoPackage (R*Tree), made by
# GDAL from the Shapefile.
FGB=$DATA/buildings_$COUNT.fgb
GPKG=$DATA/buildings_$COUNT.gpkg
if [[ ! -f $FGB ]]; then
    echo "building $FGB…" >&2
    ogr2ogr -f FlatGeobuf "$DATA/.partial.fgb" "$SHP" -nlt PROMOTE_TO_MULTI >&2
    mv -f "$DATA/.partial.fgb" "$FGB"
fi
if [[ ! -f $GPKG ]]; then
    echo "building $GPKG…" >&2
    ogr2ogr -f GPKG "$DATA/.partial.gpkg" "$SHP" -nln buildings -nlt PROMOTE_TO_MULTI >&2
    mv -f "$DATA/.partial.gpkg" "$GPKG"
fi
echo "measuring: box reads of FlatGeobuf and GeoPackage…" >&2
BOX_LABEL="10 % box through the file's index ⁸ (\`--bbox\` vs \`-spat\`)"
for f in "$FGB" "$GPKG"; do
    export_row "$BOX_LABEL" "$f" box
    measure "$SITELENS" info "$f"
    add_row "the same file loaded whole: \`sitelens info\` ⁸" ".${f##*.}" "$(fmt_s "$M_TIME")" "$(fmt_rss "$M_RSS")" "—" "—" "—"
done

# --- index --------------------------------------------------------------------------------------

echo "measuring: index…" >&2
RUNS_SAVED=$RUNS
RUNS=1
measure target/release/bench_index "$SHP" "$RUNS_SAVED"
RUNS=$RUNS_SAVED
IDX=$WORK/run.1.out
BULK=$(awk '/^bulk load:/ { print $3 }' "$IDX")
QUERY=$(awk '/^viewport query:/ { print $3 }' "$IDX")
HITS=$(sed -n 's/^viewport query:.*, \([0-9.]*\) hits on average.*/\1/p' "$IDX")
PICK=$(awk '/^point pick:/ { print $3 }' "$IDX")
PICK_HITS=$(sed -n 's/^point pick:.*, \([0-9]*\) hits.*/\1/p' "$IDX")
[[ -n $BULK && -n $QUERY && -n $PICK ]] || die "unexpected bench_index output: $(cat "$IDX")"
add_row "R-tree bulk load ³ (\`bench_index\`)" ".shp" "$(fmt_ms "$BULK")" "$(fmt_rss "$M_RSS") (whole run)" "—" "—" "—"
add_row "viewport query, box of 1 % of the extent ³ (≈ $(thousands "$(printf '%.0f' "$HITS")") hits)" ".shp" "$QUERY µs" "″" "—" "—" "—"
add_row "point pick, 5 m ³ ($(thousands "$PICK_HITS") hits in 10,000)" ".shp" "$PICK µs" "″" "—" "—" "—"

# --- render -------------------------------------------------------------------------------------

# render_row LABEL INPUT [--bbox=…]: first frame, pan and zoom per-frame totals, medians over the
# runs.
render_row() {
    local label=$1 input=$2 i firsts=() pans=() zooms=() rests=() fulls=()
    shift 2
    measure "$SITELENS" render "$input" --bench 10 --size 1600x1000 "$@"
    for ((i = 1; i <= RUNS; i++)); do
        firsts+=("$(frame_total '^first frame:' "$WORK/run.$i.out")")
        pans+=("$(frame_total '^pan ' "$WORK/run.$i.out")")
        zooms+=("$(frame_total '^zoom ' "$WORK/run.$i.out")")
        rests+=("$(frame_total '^redraw once' "$WORK/run.$i.out")")
        fulls+=("$(frame_total '^pan, redrawing every frame' "$WORK/run.$i.out")")
    done
    add_row "$label" ".${input##*.}" "first frame $(fmt_ms "$(median "${firsts[@]}")"); pan $(fmt_ms "$(median "${pans[@]}")")/frame; zoom $(fmt_ms "$(median "${zooms[@]}")")/frame (the layers' image moved/scaled, as the window does); redraw once the view rests $(fmt_ms "$(median "${rests[@]}")"); pan redrawing every frame $(fmt_ms "$(median "${fulls[@]}")")/frame; whole command $(fmt_s "$M_TIME")" \
        "$(fmt_rss "$M_RSS")" "—" "—" "—"
}

# frame_total PATTERN FILE: build + tessellate + raster (ms) of the line matching PATTERN.
frame_total() {
    local t
    t=$(grep -m 1 -E "$1" "$2" | grep -oE '(build|tessellate|raster) [0-9.]+ ms' | awk '{ s += $2 } END { if (NR == 3) print s }')
    [[ -n $t ]] || die "unexpected 'sitelens render --bench' output: $(cat "$2")"
    echo "$t"
}

echo "measuring: render…" >&2
render_row "render ⁴ (\`sitelens render --bench 10 --size 1600x1000\`), full extent" "$SHP"
render_row "render ⁴, street level (≈ 300 m × 200 m)" "$SHP" "--bbox=$SX0,$SY0,$SX1,$SY1"
render_row "render ⁴, 1,600 detailed polygons (2,000 vertices each, **synthetic** ⁷), full extent" "$DETAILED"

# --- start-up -----------------------------------------------------------------------------------

echo "measuring: viewer start-up…" >&2
XDG=$WORK/xdg
mkdir -m 700 "$XDG"
STARTS=() START_RSS=0
for ((i = 1; i <= RUNS; i++)); do
    LOG=$WORK/startup.$i.err PIDF=$WORK/startup.$i.pid TIMEF=$WORK/startup.$i.time
    # sh writes the viewer's pid, then becomes the viewer; timeout is only a safety net.
    XDG_RUNTIME_DIR=$XDG XDG_DATA_HOME=$WORK/start-data.$i SITELENS_FRAME_STATS=1 timeout 60 \
        xvfb-run -a -s "-screen 0 1600x1000x24" \
        /usr/bin/time -f "%e %M" -o "$TIMEF" \
        sh -c 'echo $$ >"$0"; exec "$@"' "$PIDF" "$SITELENS" >/dev/null 2>"$LOG" &
    JOB=$!
    for ((t = 0; t < 150; t++)); do # up to 15 s
        grep -q 'first frame built' "$LOG" && break
        kill -0 "$JOB" 2>/dev/null || break
        sleep 0.1
    done
    [[ -s $PIDF ]] && kill -TERM "$(cat "$PIDF")" 2>/dev/null || true
    wait "$JOB" || true
    MS=$(awk '/^frame-stats: first frame built [0-9.]+ ms after start/ && !n++ { print $5 }' "$LOG")
    [[ -n $MS ]] || die "the viewer printed no 'first frame built' line within 15 s: $(tail -n 20 "$LOG")"
    STARTS+=("$MS")
    R=$(tail -n 1 "$TIMEF" 2>/dev/null | awk '{ print $2 }')
    [[ ${R:-0} =~ ^[0-9]+$ ]] && ((R > START_RSS)) && START_RSS=$R
done
add_row "viewer start-up to first frame ⁵ (embedded Hino project)" "—" "$(fmt_ms "$(median "${STARTS[@]}")")" \
    "$(fmt_rss "$START_RSS")" "—" "—" "—"

# --- the window: frames while dragging the map --------------------------------------------------

# drag_row LABEL INPUT [ARGS…] (sitelens ARGS…): the viewer under Xvfb (its default renderer, OpenGL on Mesa's llvmpipe),
# the map dragged with the mouse by xdotool (400 small moves, 4 ms apart) once the layers are
# loaded, painting continuously; the viewer's own "drag frames" lines give the interval between
# frames (the whole frame: UI, tessellation, software GPU, present) and the UI build time.
drag_row() {
    local label=$1 input=$2 i ints=() builds=()
    shift 2
    echo "measuring: window drag frames, $label…" >&2
    for ((i = 1; i <= RUNS; i++)); do
        local log=$WORK/drag.$i.err
        XDG_RUNTIME_DIR=$XDG XDG_DATA_HOME=$WORK/drag-data.$i SITELENS_FRAME_STATS=1 timeout 180 \
            xvfb-run -a -s "-screen 0 1600x1000x24" bash -c '
                log=$1; shift
                "$@" >/dev/null 2>"$log" & app=$!
                for ((t = 0; t < 1200; t++)); do # up to 120 s for the layers
                    grep -q "layers loaded" "$log" && break
                    kill -0 $app 2>/dev/null || exit 1
                    sleep 0.1
                done
                sleep 1
                moves=()
                for ((k = 0; k < 400; k++)); do moves+=(mousemove_relative -- 1 1 sleep 0.004); done
                xdotool mousemove 700 300 mousedown 1 "${moves[@]}" mouseup 1 sleep 0.5
                kill $app; wait $app' _ "$log" "$SITELENS" "$@" || true
        grep -q "drag frames" "$log" || die "the viewer printed no drag frame times: $(tail -n 20 "$log")"
        ints+=("$(awk '/drag frames/ { print $6 }' "$log" | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }')")
        builds+=("$(awk '/drag frames/ { print $13 }' "$log" | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }')")
    done
    add_row "window: frame while dragging the map ⁶, $label" "$input" \
        "$(fmt_ms "$(median "${ints[@]}")")/frame (UI build $(fmt_ms "$(median "${builds[@]}")"))" "—" "—" "—" "—"
}

drag_row "embedded Hino project" "—"
drag_row "Hino + $(thousands "$COUNT") polygons (full extent)" ".shp" open "$SHP"

# --- the table ----------------------------------------------------------------------------------

size_mb() { awk -v b="$(stat -c %s "$1")" 'BEGIN { printf "%.0f MB", b / 1e6 }'; }
SHP_BYTES=0
for f in "${SHP%.shp}".{shp,shx,dbf}; do SHP_BYTES=$((SHP_BYTES + $(stat -c %s "$f"))); done
GIT_REV=$(git rev-parse --short HEAD 2>/dev/null || echo "not a git checkout")
if [[ -n $(git status --porcelain --untracked-files=no 2>/dev/null) ]]; then GIT_REV+=" + uncommitted changes"; fi

COUNT_TEXT=$(thousands "$COUNT")
echo "## sitelens vs GDAL, $COUNT_TEXT polygons$( ((QUICK)) && echo " (--quick)")"
echo
echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "- machine: $(nproc) cores, $(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo), $(awk '/^MemTotal/ { printf "%.0f GiB RAM", $2 / 1048576 }' /proc/meminfo)"
echo "- reference: $(ogrinfo --version)"
echo "- sitelens: $GIT_REV, release build"
echo "- inputs: \`$GEOJSON\` ($(size_mb "$GEOJSON")) and \`$SHP\` (+ .shx/.dbf, $(awk -v b="$SHP_BYTES" 'BEGIN { printf "%.0f MB", b / 1e6 }')):" \
    "**tiled real data** — $COUNT_TEXT polygons made of copies (shifted, non-overlapping tiles) of the 13,491 real" \
    "building footprints of Boulder, Colorado (MIT © 2022 J. H. Uhl, subset of MTBF-33), not $COUNT_TEXT distinct buildings"
echo "- each figure: median wall time of $RUNS run(s) after one untimed warm-up run$( ((RUNS == 1)) && echo " (a check of the script, not a measurement)"); peak RSS: the largest of the runs (\`/usr/bin/time -f \"%e %M\"\`)"
echo
echo "| Measurement | Input | sitelens | sitelens peak RSS | GDAL | GDAL peak RSS | GDAL / sitelens |"
echo "|---|---|---:|---:|---:|---:|---:|"
printf '%s\n' "${ROWS[@]}"
echo
echo "¹ \`sitelens info\` reads, checks and indexes every feature. \`ogrinfo -so\` on a GeoJSON file parses it whole, but on a Shapefile it reads only the headers (count, extent, fields), so the next row gives GDAL's full read of the Shapefile into memory (\`ogr2ogr -f Memory /vsimem/x FILE\`) against the same \`sitelens info\` run."
echo "² \`sitelens export FILE -o OUT.geojson [--where … --bbox minx,miny,maxx,maxy]\` vs \`ogr2ogr -f GeoJSON -lco RFC7946=YES OUT.geojson FILE [-where … -spat minx miny maxx maxy]\`; the box is centred and covers 10 % of the layer's extent ($FX0,$FY0,$FX1,$FY1). Both outputs were read back with \`ogrinfo\` and hold the same number of features (shown in the Input column). sitelens also writes its provenance block into the file."
echo "³ \`target/release/bench_index FILE $RUNS_SAVED\`: the R-tree of the loaded layer rebuilt as the loader builds it (median of $RUNS_SAVED), then 1,000 random viewport boxes (each 1/10 of the extent's width and height) and 10,000 random pick points (\`pick_lon_lat\`, 5 m tolerance), fixed seed, per-operation medians over $RUNS_SAVED pass(es). GDAL has no equivalent."
echo "⁴ The viewer's own map drawing (egui shapes) painted by sitelens's software rasteriser, 1600×1000 px, first-frame total and per-frame medians of build + tessellate + raster over 10 frames each: pan and zoom as the window does them (the layers drawn once into an image that is moved or scaled), the redraw when the view rests (with its margin of a quarter of the view on each side), and for comparison a pan that redraws every layer every frame (as map images and sheets draw). In the window, a frame also pays the software GPU for the whole window: row ⁶. It also draws the embedded Hino layers (elsewhere on Earth, off screen). Street-level box: $SX0,$SY0,$SX1,$SY1. Peak RSS of the whole command is the memory of the layer in the drawing path."
echo "⁵ \`SITELENS_FRAME_STATS=1 xvfb-run -a -s \"-screen 0 1600x1000x24\" target/release/sitelens\`: the viewer's own \"first frame built X ms after start\", on Xvfb (software GPU); the viewer is stopped after that line."
echo "⁶ \`SITELENS_FRAME_STATS=1 xvfb-run … sitelens [FILE]\`, the map dragged by xdotool (400 moves of 1 px, 4 ms apart) after the layers have loaded, the viewer painting continuously: medians of its own per-30-frame medians of the interval between frames (UI, tessellation, the software GPU — OpenGL on Mesa's llvmpipe — and present) and of the UI build. The layers are drawn once into an image that the drag moves; they are redrawn on a thread once the view rests."
echo "⁸ \`$FGB\` and \`$GPKG\`: the Shapefile converted by \`ogr2ogr -nlt PROMOTE_TO_MULTI\` (FlatGeobuf with its packed Hilbert R-tree, GeoPackage with its R*Tree). sitelens reads only the index nodes the box reaches and the features they name (FlatGeobuf), or the rows the R-tree names (GeoPackage); the box is the 10 % box of ². The next row loads the whole file for comparison."
[[ -n ${BENCH_BIG:-} ]] && echo "⁹ \`BENCH_BIG=1\`: the same export on 10,000,000 polygons (742 tiles), one run, sitelens only. \`sitelens export\` to GeoJSON streams GeoJSON, Shapefile and PostGIS inputs a block at a time: its peak memory does not grow with the input."
echo "⁷ \`make_bench_data --detailed\`: 40 × 40 wavy districts about 250 m across near Hino, each outline 2,000 vertices (3.2 million in all), standing in for zoning or parcels surveyed in fine detail (the shared data has no real polygons this detailed). At this extent the map draws each at its level of detail (outlines simplified to within half a screen point)."

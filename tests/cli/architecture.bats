#!/usr/bin/env bats
# The architecture of lib/README.md is checked, not only drawn: the layer
# rule over #include lines, module prefixes on exported symbols, and thin
# programs.

setup() { load test_helper; cd "$TRAJ_ROOT"; }

@test "lib/ has no source file at its top level" {
	run -0 sh -c 'ls lib/*.c lib/*.h 2>/dev/null | wc -l'
	assert_output 0
}

@test "the layer rule holds for lib/" {
	run -0 --separate-stderr scripts/check-layers.sh lib
	[ -z "$stderr" ]
}

@test "a lower module including a higher one fails the layer check, naming the line" {
	fake=$BATS_TEST_TMPDIR/lib
	mkdir -p "$fake/common" "$fake/format"
	printf 'Layers: common format\n' >"$fake/README.md"
	printf '#include "common/a.h"\n' >"$fake/format/b.c"
	printf '#include "common/a.h"\n' >"$fake/common/a.c"
	run -0 scripts/check-layers.sh "$fake"
	printf '#include <stdio.h>\n#include "format/stream.h"\n' >"$fake/common/a.c"
	run -1 --separate-stderr scripts/check-layers.sh "$fake"
	assert_equal "$stderr" "check-layers: $fake/common/a.c:2: common includes \"format/stream.h\", a module above it"
}

@test "a planted upward include in the real lib/ fails the layer check" {
	copy=$BATS_TEST_TMPDIR/lib
	cp -r lib "$copy"
	printf '#include "interp/ablate.h"\n' >>"$copy/model/mlp.c"
	run -1 --separate-stderr scripts/check-layers.sh "$copy"
	assert_equal "$stderr" "check-layers: $copy/model/mlp.c:$(wc -l <"$copy/model/mlp.c"): model includes \"interp/ablate.h\", a module above it"
}

@test "another module's private header (*_impl.h) fails the layer check" {
	fake=$BATS_TEST_TMPDIR/lib
	mkdir -p "$fake/model" "$fake/interp"
	printf 'Layers: model interp\n' >"$fake/README.md"
	printf '#include "model/transformer_impl.h"\n' >"$fake/model/t.c"
	printf '#include "interp/edge_impl.h"\n#include "model/model.h"\n' >"$fake/interp/e.c"
	run -0 scripts/check-layers.sh "$fake"
	printf '#include "model/transformer_impl.h"\n' >>"$fake/interp/e.c"
	run -1 --separate-stderr scripts/check-layers.sh "$fake"
	assert_equal "$stderr" "check-layers: $fake/interp/e.c:3: interp includes \"model/transformer_impl.h\", private to model"
}

@test "an include naming no module, or an unknown module, fails the layer check" {
	fake=$BATS_TEST_TMPDIR/lib
	mkdir -p "$fake/common"
	printf 'Layers: common\n' >"$fake/README.md"
	printf '#include "a.h"\n#include "nowhere/b.h"\n' >"$fake/common/a.c"
	run -1 scripts/check-layers.sh "$fake"
	assert_line --partial 'include "a.h" names no module'
	assert_line --partial "no module 'nowhere'"
}

@test "every symbol libtraj exports carries its module's prefix" {
	run -0 --separate-stderr scripts/check-prefixes.sh "$TRAJ_BUILD_DIR"
	[ -z "$stderr" ]
}

@test "an exported symbol without its module's prefix fails the prefix check" {
	fake=$BATS_TEST_TMPDIR/build
	mkdir -p "$fake/lib/common"
	printf 'int grow(int n) { return n + 1; }\nint rng_ok(int n) { return n; }\n' >"$BATS_TEST_TMPDIR/bad.c"
	cc -c -o "$fake/lib/common/bad.o" "$BATS_TEST_TMPDIR/bad.c"
	run -1 --separate-stderr scripts/check-prefixes.sh "$fake"
	assert_equal "$(printf '%s\n' "$stderr" | wc -l)" 1
	assert_equal "${stderr%%(*}" "check-prefixes: $fake/lib/common/bad.o: 'grow' has none of common's prefixes "
}

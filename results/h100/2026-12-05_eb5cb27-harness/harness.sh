#!/usr/bin/env bash
# Builds diagnostic copies of kernels/conv_igemm_mma.cu and times them with harness.cu. $1: source root, $2: out dir.
set -u
SRC=$1; O=$2; H=$(dirname $0)
D="-DKR=3 -DKS=3 -DSTRIDE=1 -DPAD=0 -DCPAD=64 -DVEC=1 -DTHREEX=0 -DMISH_COUNT=2 -DWGMMA=1 -DTH=4 -DTW=64 -DBN=64 -DCK=8 -DWM=4 -DWN=1 -DSTAGES=3 -DGROUPS=2 -DSTAGGER=0 -DPAIRS=0 -DBFRAG=0 -DNF=4 -DLA=2 -DWIDE=0 -DMISH_FORM=2 -DEPI_PRED=1 -DUNROLL_TAPS=1 -DROUND_A=0 -DFOLD=0 -DSPLIT=0"
mk() {  # tag, sed script, extra flags
  mkdir -p $O/$1 && cp $SRC/kernels/*.cuh $O/$1/ && sed "$2" $SRC/kernels/conv_igemm_mma.cu > $O/$1/conv_igemm_mma.cu
  nvcc -gencode arch=compute_90a,code=sm_90a -O3 -std=c++17 $D $3 -DTAG="\"$1\"" -I$O/$1 -o $O/$1/h $H/harness.cu > $O/$1/build.log 2>&1 || { echo "$1: build failed"; tail -5 $O/$1/build.log; }
}
NOLOAD='s|if (it + STAGES - 1 < total_it) load_stage(it + STAGES - 1);|/* no loads */|'
NOLDS='s|const float v\[4\] = {p\[0\], p\[kPix1\], p\[CSA\], p\[CSA + kPix1\]};|const float v[4] = {1.f * i, 2.f * q, 3.f * k8, 4.f * sg};|'
mk full '' ''
mk nostore '' '-DKZERO=1'
mk nostore_nomish '' '-DKZERO=1 -UMISH_COUNT -DMISH_COUNT=0'
mk noload "$NOLOAD" ''
mk noload_nostore_nomish "$NOLOAD" '-DKZERO=1 -UMISH_COUNT -DMISH_COUNT=0'
mk noload_nolds_nostore_nomish "$NOLOAD;$NOLDS" '-DKZERO=1 -UMISH_COUNT -DMISH_COUNT=0'
mk full_nf3la1 '' '-UNF -DNF=3 -ULA -DLA=1'
mk full_groups1 '' '-UGROUPS -DGROUPS=1'
for t in full nostore nostore_nomish noload noload_nostore_nomish noload_nolds_nostore_nomish full_nf3la1 full_groups1; do [ -x $O/$t/h ] && $O/$t/h; done

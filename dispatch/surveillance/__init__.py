"""Public-health watch on the call stream (issue 18): the analytic core.

Pure computation, no I/O (an import-linter contract holds it): classify a call into a syndrome
(:mod:`.syndromes`), count calls per syndrome x area x day (:mod:`.counts`, areas from
:mod:`.areas`), find aberrations with EARS C1/C2/C3 (:mod:`.ears`), a count regression with a
CUSUM (:mod:`.regression`) and a space-time permutation scan (:mod:`.scan`), and fold daily
detections into deduplicated signals (:mod:`.signals`). The services load calls, call these,
and record what a supervisor acknowledges.
"""
